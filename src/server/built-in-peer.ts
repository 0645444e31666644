// A peer the server itself holds: an id and eventfds advertised to every
// peer like any other. Its doorbells come here; it can ring every peer. A
// switched one (a cluster's remote peer) stands behind the forwarding policy
// as a connected peer does: its doorbells come through the lines, sender known.
import { EventEmitter } from 'node:events';
import * as sys from '../sys/index.js';

export interface BuiltInDoorbell {
  vector: number;
  /** Rings since the last event on this vector (eventfds count). */
  count: number;
  /** The sender, when the doorbell came through a switched line (a switched built-in peer's). */
  from?: number;
}

export interface BuiltInPeerEvents {
  doorbell: [BuiltInDoorbell];
}

export class BuiltInPeer extends EventEmitter<BuiltInPeerEvents> {
  readonly id: number;
  /** The eventfds others ring, one per vector (the server owns them). */
  readonly eventfds: readonly sys.Fd[];
  /** Its doorbells, both ways, pass the server's forwarding policy (see ServerOptions.switched). */
  readonly switched: boolean;
  readonly #watchers: sys.Watcher[];
  readonly #ring: (peer: number, vector: number, count: number) => boolean;

  /** Made by FamezServer.addBuiltInPeer(). */
  constructor(
    id: number,
    eventfds: readonly sys.Fd[],
    ring: (peer: number, vector: number, count: number) => boolean,
    switched = false,
  ) {
    super();
    this.id = id;
    this.eventfds = eventfds;
    this.switched = switched;
    this.#ring = ring;
    this.#watchers = eventfds.map((fd, vector) =>
      sys.Watcher.eventfd(fd, (count) => this.emit('doorbell', { vector, count })),
    );
  }

  /**
   * Rings `vector` of peer `peer` `count` times: false when no peer holds that id or its counter is full.
   * Made while a doorbell is handled, a single ring is done as the doorbell's callback returns, in the same
   * call into the addon (sys.ringEventfdSoon), and a full counter is then not reported.
   */
  ring(peer: number, vector: number, count = 1): boolean {
    return this.#ring(peer, vector, count);
  }

  /** A doorbell the forwarding policy passed to this (switched) peer. */
  deliver(doorbell: BuiltInDoorbell): void {
    this.emit('doorbell', doorbell);
  }

  /** Stops delivering doorbells (the server closes the eventfds). */
  close(): void {
    this.#watchers.forEach((watcher) => watcher.close());
  }
}
