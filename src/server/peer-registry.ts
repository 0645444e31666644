// The peers present and the fds the server hands out: who holds which id,
// whose doorbells each peer has been given, and the messages that tell them.
// Fds are reference-counted (SharedFd) so that a queued message never carries
// a closed fd; recycled ids keep their doorbells for the next holder.
import { joinMessages, leaveMessages, type Outgoing } from '../protocol/handshake.js';
import type { Protocol } from '../protocol/message.js';
import * as sys from '../sys/index.js';
import type { BuiltInPeer } from './built-in-peer.js';
import type { PeerSocket } from './peer-socket.js';
import { SharedFd } from './shared-fd.js';

export interface PeerInfo {
  readonly id: number;
  readonly vectors: number;
  /** Who connected (absent for a peer the server runs itself). */
  readonly credentials?: sys.Credentials;
  readonly joinedAt: Date;
  /** The server's eventfds for this peer's vectors (as QEMU's server dump shows them). */
  readonly eventfds: readonly sys.Fd[];
}

export interface Peer extends PeerInfo {
  readonly socket?: PeerSocket;
  /** The ids whose doorbells this peer holds (has been told of). */
  readonly knows: Set<number>;
}

/** With switched doorbells: the eventfds one peer is given for another, and the lines to drop when one goes. */
export interface PeerLines {
  doorbellsFor(to: number, peer: { id: number; eventfds: readonly sys.Fd[] }): readonly sys.Fd[];
  dropFrom(id: number): void;
  dropTo(id: number): void;
}

export class PeerRegistry {
  readonly peers = new Map<number, Peer>();
  readonly builtIns = new Map<number, BuiltInPeer>();
  /** With recycling: the doorbells of ids whose peer left, for the next peer given the id. */
  readonly recycled = new Map<number, sys.Fd[]>();
  /** Every fd the server hands out (memory, eventfds), by number. */
  readonly #handed = new Map<sys.Fd, SharedFd>();
  readonly #protocol: Protocol;
  readonly #recycle: boolean;
  /** Switched: the lines between peers, made over this registry. */
  readonly lines?: PeerLines;

  constructor(protocol: Protocol, recycle: boolean, lines?: (registry: PeerRegistry) => PeerLines) {
    this.#protocol = protocol;
    this.#recycle = recycle;
    this.lines = lines?.(this);
  }

  /** Connected peers (not built-in ones). */
  get connected(): number {
    return this.peers.size - this.builtIns.size;
  }

  /**
   * The memory fd: handed with every welcome, owned by the backing (the extra reference keeps queues from closing it).
   */
  holdMemory(fd: sys.Fd): void {
    this.#handed.set(fd, new SharedFd(fd).retain());
  }

  hand(fd: sys.Fd): void {
    this.#handed.set(fd, new SharedFd(fd));
  }

  /** Lets go of an fd; it closes once no queued message carries it. */
  letGo(fd: sys.Fd): void {
    this.#handed.get(fd)?.release();
    this.#handed.delete(fd);
  }

  /** The eventfd peer `id` itself reads for `vector` (kept for its id while recycled). */
  realEventfd(id: number, vector: number): sys.Fd | undefined {
    return (this.peers.get(id)?.eventfds ?? this.recycled.get(id))?.[vector];
  }

  /** Rings the receiver's own eventfd (whoever holds the id now, or its recycled doorbells): false when none. */
  ringReal(id: number, vector: number, count: number): boolean {
    const eventfd = this.realEventfd(id, vector);
    return eventfd === undefined ? false : sys.ringEventfdSoon(eventfd, count);
  }

  /** Hands the newcomer everyone's doorbells and its own; tells the others who do not hold its doorbells yet. */
  join(peer: Peer, memoryFd: sys.Fd): void {
    const others = [...this.peers.values()].sort((a, b) => a.id - b.id);
    this.peers.set(peer.id, peer);
    const announceTo = others.filter((other) => other.socket && !other.knows.has(peer.id));
    announceTo.forEach((other) => other.knows.add(peer.id));
    others.forEach((other) => peer.knows.add(other.id));
    const lines = this.lines;
    const messages = joinMessages(
      this.#protocol,
      peer,
      others,
      memoryFd,
      announceTo.map((other) => other.id),
      lines && ((to, of) => (this.#direct(to, of.id) ? of.eventfds : lines.doorbellsFor(to, of))),
    );
    // The newcomer's handshake is sent at once: it may wait on top of the bound.
    peer.socket?.allowBurst(messages.filter((message) => message.to === peer.id).length);
    this.#dispatch(messages);
  }

  /**
   * Whether `to` gets `of`'s own eventfds on a switched server: a built-in holds no lines, and one not switched is rung
   * directly.
   */
  #direct(to: number, of: number): boolean {
    return this.builtIns.has(to) || this.builtIns.get(of)?.switched === false;
  }

  /** Takes peer `id` out: recycled (the others hear nothing) or announced gone. The peer, if it was there. */
  leave(id: number): Peer | undefined {
    const peer = this.peers.get(id);
    if (!peer) return undefined;
    this.peers.delete(id);
    // Its process is gone: nobody rings the lines it was given.
    this.lines?.dropFrom(id);
    if (this.#recycle) {
      // The others keep its doorbells (switched: their lines to it) and hear nothing: the next peer given the id takes
      // them over.
      peer.socket?.close();
      this.recycled.set(id, [...peer.eventfds]);
    } else {
      this.lines?.dropTo(id);
      this.dispose(peer);
      const remaining = [...this.peers.values()].filter((other) => other.knows.delete(id)).map((other) => other.id);
      this.#dispatch(leaveMessages(id, remaining));
    }
    return peer;
  }

  /** Messages waiting to be written to each connected peer, by id. */
  queueDepths(): Map<number, number> {
    const depths = new Map<number, number>();
    for (const [id, peer] of this.peers) if (peer.socket) depths.set(id, peer.socket.queued);
    return depths;
  }

  dispose(peer: Peer): void {
    peer.socket?.close();
    peer.eventfds.forEach((fd) => this.letGo(fd));
  }

  /** Every peer and fd goes (the server closes): built-in peers' watchers stop before their eventfds close. */
  clear(): void {
    for (const builtIn of this.builtIns.values()) builtIn.close();
    this.builtIns.clear();
    for (const peer of this.peers.values()) this.dispose(peer);
    this.peers.clear();
    for (const eventfds of this.recycled.values()) eventfds.forEach((fd) => this.letGo(fd));
    this.recycled.clear();
  }

  /** Forgets every handed fd without closing it (their owners close them). */
  forgetHanded(): void {
    this.#handed.clear();
  }

  #dispatch(messages: Outgoing[]): void {
    for (let i = 0; i < messages.length; i++) {
      const message = messages[i]!;
      const values = [message.value];
      // Messages without an fd to one peer in a row (the welcome's version and
      // id) go in one sendmsg: a reader that wakes up between them would see
      // them apart, and FAME-Z's client needs its first read to hold the
      // welcome whole. Only an fd must have a sendmsg of its own.
      while (message.fd === undefined && messages[i + 1]?.to === message.to && messages[i + 1]!.fd === undefined)
        values.push(messages[++i]!.value);
      this.peers
        .get(message.to)
        ?.socket?.send(values, message.fd === undefined ? undefined : this.#handed.get(message.fd));
    }
  }
}
