// The IVSHMSG mailbox layout (FAME-Z's, so that its guest drivers and client
// work unchanged): slot 0 holds the globals, slot k belongs to peer k, the
// last slot to the server. All integers are u64 little-endian.
import { nextPowerOfTwo } from '../memory/size.js';

export const SLOT_SIZE = 512;
export const BUF_OFFSET = 128;
export const BUF_SIZE = SLOT_SIZE - BUF_OFFSET;
/** A message must be shorter than the buffer (FAME-Z's rule). */
export const MAX_MESSAGE = BUF_SIZE - 1;
/** Names are NUL-terminated in 32 bytes. */
export const NAME_SIZE = 32;
export const MAX_NAME = NAME_SIZE - 1;

export const DEFAULT_CLIENTS = 14;
/** 62 clients + the globals slot + the server = 64 vectors. */
export const MAX_CLIENTS = 62;

/** Byte offsets of the globals in slot 0. */
export const GLOBALS = { slotsize: 0, bufOffset: 8, nClients: 16, nEvents: 24, serverId: 32 } as const;
/** Byte offsets within a slot. */
export const SLOT = {
  nodename: 0,
  cclass: 32,
  buflen: 64,
  peerId: 72,
  lastResponder: 80,
  peerSID: 88,
  peerCID: 96,
  buf: BUF_OFFSET,
} as const;

export interface Geometry {
  nClients: number;
  /** Vectors every peer has: nClients + 2 (slot 0 and the server included). */
  nEvents: number;
  /** The server's id and slot: nClients + 1. */
  serverId: number;
  /** Bytes of shared memory: a power of two of at least 4 KiB holding every slot. */
  size: number;
}

/** The ids a fabric's clients get: their slots, 1..nClients (slot 0 is unused, nClients + 1 the server's). */
export function clientIdRange(nClients: number): { first: number; last: number } {
  return { first: 1, last: nClients };
}

export function geometry(nClients: number): Geometry {
  if (!Number.isInteger(nClients) || nClients < 1 || nClients > MAX_CLIENTS) {
    throw new RangeError(`the number of clients must be from 1 to ${MAX_CLIENTS}, not ${nClients}`);
  }
  return {
    nClients,
    nEvents: nClients + 2,
    serverId: nClients + 1,
    size: Math.max(4096, nextPowerOfTwo((nClients + 2) * SLOT_SIZE)),
  };
}
