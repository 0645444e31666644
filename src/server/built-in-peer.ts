// A peer the server itself holds: an id and eventfds advertised to every
// peer like any other. Its doorbells come here; it can ring every peer.
import { EventEmitter } from 'node:events';
import * as sys from '../sys/index.js';

export interface BuiltInDoorbell {
  vector: number;
  /** Rings since the last event on this vector (eventfds count). */
  count: number;
}

export interface BuiltInPeerEvents {
  doorbell: [BuiltInDoorbell];
}

export class BuiltInPeer extends EventEmitter<BuiltInPeerEvents> {
  readonly id: number;
  /** The eventfds others ring, one per vector (the server owns them). */
  readonly eventfds: readonly sys.Fd[];
  readonly #watchers: sys.Watcher[];
  readonly #ring: (peer: number, vector: number) => boolean;

  /** Made by FamezServer.addBuiltInPeer(). */
  constructor(id: number, eventfds: readonly sys.Fd[], ring: (peer: number, vector: number) => boolean) {
    super();
    this.id = id;
    this.eventfds = eventfds;
    this.#ring = ring;
    this.#watchers = eventfds.map((fd, vector) => sys.Watcher.eventfd(fd, (count) => this.emit('doorbell', { vector, count })));
  }

  /** Rings `vector` of peer `peer`: false when no peer holds that id or its counter is full. */
  ring(peer: number, vector: number): boolean {
    return this.#ring(peer, vector);
  }

  /** Stops delivering doorbells (the server closes the eventfds). */
  close(): void {
    this.#watchers.forEach((watcher) => watcher.close());
  }
}
