// What the server sends, to whom and in which order, when a peer joins or
// leaves. Pure: no I/O; fds are opaque numbers here.
import { LEGACY_REFUSAL, MEMORY_MESSAGE, PROTOCOL_VERSION, REFUSAL_VERSION, type Protocol } from './message.js';

export interface Outgoing {
  /** The peer the message goes to. */
  to: number;
  value: number;
  fd?: number;
}

export interface PeerDoorbells {
  id: number;
  /** One eventfd per vector. */
  eventfds: readonly number[];
}

/**
 * The eventfds peer `to` is given for `peer`'s vectors: by default the
 * receiver's own; a switched server gives each sender eventfds of its own.
 */
export type DoorbellView = (to: number, peer: PeerDoorbells) => readonly number[];

const ownDoorbells: DoorbellView = (_to, peer) => peer.eventfds;

/**
 * The messages for a newcomer joining `others` (the peers already present,
 * in ascending id order), in the order they must be sent. The newcomer is
 * announced to the peers in `announceTo` (default: all of `others`; a peer
 * that still holds the newcomer's doorbells from before need not hear again).
 */
export function joinMessages(
  protocol: Protocol,
  newcomer: PeerDoorbells,
  others: readonly PeerDoorbells[],
  memoryFd: number,
  announceTo: readonly number[] = others.map((other) => other.id),
  view: DoorbellView = ownDoorbells,
): Outgoing[] {
  const to = newcomer.id;
  const announce = (receiver: number, peer: PeerDoorbells): Outgoing[] =>
    (receiver === peer.id ? peer.eventfds : view(receiver, peer)).map((fd) => ({ to: receiver, value: peer.id, fd }));
  const welcome: Outgoing[] = [
    ...(protocol === 'qemu' ? [{ to, value: PROTOCOL_VERSION }] : []),
    { to, value: newcomer.id },
    { to, value: MEMORY_MESSAGE, fd: memoryFd },
  ];
  const toOthers = announceTo.flatMap((other) => announce(other, newcomer));
  if (protocol === 'legacy') {
    // tm-ivshmem-server: every live peer, the newcomer included, in id order.
    const everyone = [...others, newcomer].sort((a, b) => a.id - b.id);
    return [...welcome, ...everyone.flatMap((peer) => announce(to, peer)), ...toOthers];
  }
  return [...welcome, ...toOthers, ...others.flatMap((other) => announce(to, other)), ...announce(to, newcomer)];
}

/** An id without an fd tells every remaining peer that `gone` left. */
export function leaveMessages(gone: number, remaining: readonly number[]): Outgoing[] {
  return remaining.map((to) => ({ to, value: gone }));
}

/** What a peer that is not admitted gets: a version (or, legacy, an id) QEMU rejects at once. */
export function refusalMessage(protocol: Protocol): number {
  return protocol === 'qemu' ? REFUSAL_VERSION : LEGACY_REFUSAL;
}
