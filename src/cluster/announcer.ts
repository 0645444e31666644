// What a node tells the others of its peers: the whole list when it joins,
// when NATS is back and when asked; after that only what changed, numbered,
// so that its heartbeat stays small however many peers it holds. A node that
// sees a gap in the numbers asks for the whole list again. What it sends one
// node carries the list's version: a peer it names is in that list.
import type { Batch, Beat, Directed, NodeState, PeerChanges, RemotePeer } from './wire.js';

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

  /** Directed messages to one node, as one message or a batch: they carry the version of the list the others know
   *  (a peer they name is in it, so a node that knows that version and not the peer refuses them). */
  directed(items: Directed[]): Directed | Batch {
    const from = { node: this.#node, version: this.#version };
    return items.length === 1 ? { ...items[0]!, ...from } : { t: 'batch', ...from, items };
  }

  /** The heartbeat: who, the version of the list the others know, the spares. */
  beat(spares: number): Beat {
    return { t: 'beat', node: this.#node, instance: this.#instance, version: this.#version, spares };
  }

  /** The whole list (the others take it as it is). */
  full(peers: RemotePeer[], spares: number): NodeState {
    const now = new Map(peers.map((peer) => [peer.id, peer]));
    // A list that changed since the last numbered one is a new version too.
    if (
      now.size !== this.#told.size ||
      peers.some((peer) => !this.#told.has(peer.id) || !same(this.#told.get(peer.id)!, peer))
    )
      this.#version++;
    this.#told = now;
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
