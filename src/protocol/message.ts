// The ivshmem wire format: one little-endian signed 64-bit integer per
// message, optionally with one fd. (Legacy peers use a native `long`, which
// on the x86-64 hosts QEMU runs on is the same 8 bytes.)

/** Where QEMU's server and client meet by default. */
export const DEFAULT_SOCKET_PATH = '/tmp/ivshmem_socket';

export const MESSAGE_SIZE = 8;
export const PROTOCOL_VERSION = 0;
export const MAX_PEER_ID = 0xffff;
/** The doorbell register carries 8 vector bits. */
export const MAX_VECTORS = 256;
/** The value that comes with the shared-memory fd. */
export const MEMORY_MESSAGE = -1;
/**
 * Sent in place of the version to a peer that is not admitted: QEMU exits
 * with "server sent version 2147483647, expecting 0" instead of waiting.
 */
export const REFUSAL_VERSION = 0x7fffffff;
/** The legacy protocol has no version: an id QEMU rejects stands in for it. */
export const LEGACY_REFUSAL = -2;

export type Protocol = 'qemu' | 'legacy';
export const PROTOCOLS: readonly Protocol[] = ['qemu', 'legacy'];

export function encode(value: number): Uint8Array {
  return encodeAll([value]);
}

/** Messages back to back, for one sendmsg. */
export function encodeAll(values: readonly number[]): Uint8Array {
  const bytes = new Uint8Array(MESSAGE_SIZE * values.length);
  const view = new DataView(bytes.buffer);
  values.forEach((value, i) => view.setBigInt64(i * MESSAGE_SIZE, BigInt(value), true));
  return bytes;
}

/** Decodes one message; values beyond the safe-integer range stay exact as bigint. */
export function decode(bytes: Uint8Array): number | bigint {
  if (bytes.length !== MESSAGE_SIZE) throw new RangeError(`a message has ${MESSAGE_SIZE} bytes, not ${bytes.length}`);
  const value = new DataView(bytes.buffer, bytes.byteOffset, MESSAGE_SIZE).getBigInt64(0, true);
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

export function isPeerId(value: number | bigint): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_PEER_ID;
}
