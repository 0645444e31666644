// What a node tells the others of its peers: the whole list when it joins,
// when NATS is back and when asked; after that only what changed, numbered,
// so that its heartbeat stays small however many peers it holds. A node that
// sees a gap in the numbers asks for the whole list again.
import type { Beat, NodeState, PeerChanges, RemotePeer } from './wire.js';

const same = (a: RemotePeer, b: RemotePeer): boolean => a.nodename === b.nodename && a.cclass === b.cclass;

export class Announcer {
  readonly #node: string;
  readonly #instance: string;
  /** The list the others know, as of `version`. */
  #told = new Map<number, RemotePeer>();
  #version = 0;

  constructor(node: string, instance: string) {
    this.#node = node;
    this.#instance = instance;
  }

  /** The heartbeat: who, the version of the list the others know, the spares. */
  beat(spares: number): Beat {
    return { t: 'beat', node: this.#node, instance: this.#instance, version: this.#version, spares };
  }

  /** The whole list (the others take it as it is). */
  full(peers: RemotePeer[], spares: number): NodeState {
    this.#told = new Map(peers.map((peer) => [peer.id, peer]));
    return { t: 'state', node: this.#node, instance: this.#instance, peers, spares, version: this.#version };
  }

  /** What changed since the list the others know, or nothing. */
  changes(peers: RemotePeer[]): PeerChanges | undefined {
    const now = new Map(peers.map((peer) => [peer.id, peer]));
    const added = peers.filter((peer) => !this.#told.has(peer.id) || !same(this.#told.get(peer.id)!, peer));
    const removed = [...this.#told.keys()].filter((id) => !now.has(id));
    if (added.length === 0 && removed.length === 0) return undefined;
    this.#told = now;
    this.#version++;
    return { t: 'peers', node: this.#node, instance: this.#instance, version: this.#version, added, removed };
  }
}
