// What this node knows of the others: each node's run (instance), when it was
// last heard, and the peers it holds. A node's heartbeat is its word; a new
// peer counts only once the KV says the node holds its id, and an id this
// node or a third node holds is refused.
import type { NodeState, RemotePeer } from './wire.js';

interface RemoteNode {
  instance: string;
  lastSeen: number;
  peers: Map<number, RemotePeer>;
}

export interface MembershipHooks {
  /** This node holds `id` (its own peers' and spare ids). */
  ownsId(id: number): boolean;
  /** The node the KV gives `id` to (rejects while NATS is out of reach). */
  holder(id: number): Promise<string | undefined>;
  /** A node not known before (or restarted) has been heard. */
  nodeAppeared(node: string): void;
  peerAdded(node: string, peer: RemotePeer): void;
  peerGone(node: string, id: number, reason: string): void;
  warn(line: string): void;
}

export class Membership {
  readonly #hooks: MembershipHooks;
  readonly #remotes = new Map<string, RemoteNode>();
  /** Which node holds each remote id. */
  readonly #owners = new Map<number, string>();
  /** Claims being looked up in the KV (node/id). */
  readonly #checking = new Set<string>();

  constructor(hooks: MembershipHooks) {
    this.#hooks = hooks;
  }

  get nodes(): string[] {
    return [...this.#remotes.keys()];
  }

  ownerOf(id: number): string | undefined {
    return this.#owners.get(id);
  }

  ids(): IterableIterator<number> {
    return this.#owners.keys();
  }

  instanceOf(node: string): string | undefined {
    return this.#remotes.get(node)?.instance;
  }

  /** Remote peers by id. */
  peers(): Map<number, { node: string; peer: RemotePeer }> {
    const all = new Map<number, { node: string; peer: RemotePeer }>();
    for (const [node, remote] of this.#remotes)
      for (const peer of remote.peers.values()) all.set(peer.id, { node, peer });
    return all;
  }

  /** A node's heartbeat: which peers it holds now. */
  heard(state: NodeState, now: number): void {
    let remote = this.#remotes.get(state.node);
    if (remote && remote.instance !== state.instance) {
      this.forget(state.node, `node ${state.node} restarted`);
      remote = undefined;
    }
    if (!remote) {
      this.#remotes.set(state.node, (remote = { instance: state.instance, lastSeen: 0, peers: new Map() }));
      this.#hooks.nodeAppeared(state.node);
    }
    remote.lastSeen = now;
    const held = new Map(state.peers.map((peer) => [peer.id, peer]));
    for (const id of remote.peers.keys()) {
      if (!held.has(id)) this.#drop(state.node, remote, id, `peer ${id} left node ${state.node}`);
    }
    for (const peer of held.values()) {
      const owner = this.#owners.get(peer.id);
      if ((owner !== undefined && owner !== state.node) || this.#hooks.ownsId(peer.id)) {
        this.#hooks.warn(
          `cluster: node ${state.node} says it holds id ${peer.id}, which ${owner ?? 'this node'} holds: ignored`,
        );
      } else if (remote.peers.has(peer.id)) {
        this.#add(state.node, remote, peer);
      } else {
        void this.#checkClaim(state.node, remote, peer);
      }
    }
  }

  /** Forgets every node not heard from since `since`. */
  expire(since: number, timeoutMs: number): void {
    for (const [node, remote] of this.#remotes) {
      if (remote.lastSeen < since) this.forget(node, `node ${node} silent for ${timeoutMs} ms`);
    }
  }

  /** A node has left: its peers leave. */
  forget(node: string, reason: string): void {
    const remote = this.#remotes.get(node);
    if (!remote) return;
    this.#remotes.delete(node);
    for (const id of [...remote.peers.keys()]) this.#drop(node, remote, id, reason);
  }

  async #checkClaim(node: string, remote: RemoteNode, peer: RemotePeer): Promise<void> {
    const key = `${node}/${peer.id}`;
    if (this.#checking.has(key)) return;
    this.#checking.add(key);
    try {
      const holder = await this.#hooks.holder(peer.id);
      if (this.#remotes.get(node) !== remote || this.#owners.has(peer.id) || this.#hooks.ownsId(peer.id)) return;
      if (holder === node) return this.#add(node, remote, peer);
      this.#hooks.warn(
        `cluster: node ${node} says it holds id ${peer.id}, which the cluster's KV gives to ${holder === undefined ? 'no node' : `node ${holder}`}: ignored`,
      );
    } catch {
      // NATS is out of reach: the next heartbeat asks again
    } finally {
      this.#checking.delete(key);
    }
  }

  #add(node: string, remote: RemoteNode, peer: RemotePeer): void {
    const before = remote.peers.get(peer.id);
    remote.peers.set(peer.id, peer);
    this.#owners.set(peer.id, node);
    if (!before || before.nodename !== peer.nodename || before.cclass !== peer.cclass)
      this.#hooks.peerAdded(node, peer);
  }

  #drop(node: string, remote: RemoteNode, id: number, reason: string): void {
    remote.peers.delete(id);
    this.#owners.delete(id);
    this.#hooks.peerGone(node, id, reason);
  }
}
