// What this node knows of the others: each node's run (instance), when it was
// last heard, and the peers it holds. A node counts once the KV says it holds
// its name; a node's heartbeat is its word, and a new peer counts only once
// the KV says the node holds its id (an id this node or a third one holds is
// refused). Everything is bounded: nodes, peers per node, checks under way.
import { TokenBucket } from '../switching/token-bucket.js';
import { peersOf, sparesOf, type RemoteNode } from './remote-nodes.js';
import type { Beat, NodeState, PeerChanges, RemotePeer } from './wire.js';

/** What a small message from a node says of what is known here: all of it, a change missed, or nothing of the node. */
export type Heard = 'current' | 'behind' | 'unknown';

/** New nodes checked in the KV a second at most (after a first burst of --cluster-max-hosts). */
const NODE_CHECKS_PER_SECOND = 20;
/** How often a claim check that finds no holder asks the KV, a heartbeat apart, before it ignores the peer. */
const NO_HOLDER_ASKS = 4;

export interface MembershipHooks {
  /** This node holds `id` (its own peers' and spare ids). */
  ownsId(id: number): boolean;
  /** Ids the cluster gives (a peer outside them is refused). */
  inRange(id: number): boolean;
  /** The node the KV gives `id` to (rejects while NATS is out of reach). */
  holder(id: number): Promise<string | undefined>;
  /** Whether the KV says `node` holds its name (rejects while NATS is out of reach). */
  isMember(node: string, instance: string): Promise<boolean>;
  /** A node not known before (or restarted) has been heard and checked. */
  nodeAppeared(node: string): void;
  nodeLeft(node: string, reason: string): void;
  peerAdded(node: string, peer: RemotePeer): void;
  peerGone(node: string, id: number, reason: string): void;
  /** A check (of a node or a peer) has ended: traffic waiting on it may go on. */
  settled(node: string): void;
  /** `kind` is the rate limit's key: never remote text. */
  warn(kind: string, line: string): void;
  /** Runs `run` a heartbeat later (unless the node has closed): a check NATS failed is tried again. */
  later(run: () => void): void;
}

export class Membership {
  readonly #hooks: MembershipHooks;
  readonly #maxNodes: number;
  readonly #remotes = new Map<string, RemoteNode>();
  /** Which node holds each remote id. */
  readonly #owners = new Map<number, string>();
  /** Peer claims being looked up in the KV, by node. */
  readonly #checking = new Map<string, Set<number>>();
  /** Nodes whose membership is being looked up, with their latest heartbeat. */
  readonly #joining = new Map<string, NodeState>();

  /** Checks of new nodes in the KV: a few a second, so that invented names cost little. */
  readonly #checks: TokenBucket;
  /** When expire() last ran, or heartbeats began. */
  #lastExpire?: number;

  constructor(hooks: MembershipHooks, maxNodes: number, now: number) {
    this.#hooks = hooks;
    this.#maxNodes = maxNodes;
    this.#checks = new TokenBucket(NODE_CHECKS_PER_SECOND, maxNodes, now);
  }

  /** A member, or a node being checked. */
  knows(node: string): boolean {
    return this.#remotes.has(node) || this.#joining.has(node);
  }

  /** There is room for one more node (what an unknown node sends is worth reading only then). */
  get hasRoom(): boolean {
    return this.#remotes.size + this.#joining.size < this.#maxNodes;
  }

  get nodes(): string[] {
    return [...this.#remotes.keys()];
  }

  isMember(node: string): boolean {
    return this.#remotes.has(node);
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

  /** The version of `node`'s peer list known here (undefined: the node is not known). */
  versionOf(node: string): number | undefined {
    return this.#remotes.get(node)?.version;
  }

  /** A check about `node` is under way (its traffic may wait for it). */
  busy(node: string): boolean {
    return this.#joining.has(node) || (this.#checking.get(node)?.size ?? 0) > 0;
  }

  /** The node (not in `besides`) that says it holds the most spare ids, if any holds one; and how many all hold. */
  spares(besides: ReadonlySet<string> = new Set()): { richest?: string; total: number } {
    return sparesOf(this.#remotes, besides);
  }

  /** Remote peers by id. */
  peers(): Map<number, { node: string; peer: RemotePeer }> {
    return peersOf(this.#remotes);
  }

  /** A node's heartbeat: which peers it holds now. */
  heard(state: NodeState, now: number): void {
    const remote = this.#remotes.get(state.node);
    // A new instance (restarted, or a second famez of that name) replaces the one known only if it holds the name.
    if (remote?.instance !== state.instance) return this.#admit(state, now);
    remote.lastSeen = now;
    remote.spares = state.spares ?? 0;
    remote.version = state.version ?? 0;
    const held = new Map(state.peers.map((peer) => [peer.id, peer]));
    for (const id of remote.peers.keys()) {
      if (!held.has(id)) this.#drop(state.node, remote, id, `peer ${id} left node ${state.node}`);
    }
    for (const peer of held.values()) this.#consider(state.node, remote, peer);
  }

  /** A node's heartbeat: alive, and whether its peer list here is current. */
  beat(beat: Beat, now: number): Heard {
    const remote = this.#current(beat.node, beat.instance);
    if (!remote) return 'unknown';
    remote.lastSeen = now;
    remote.spares = beat.spares;
    return beat.version === remote.version ? 'current' : 'behind';
  }

  /** A node's peers changed: applied when it follows the version known here. */
  changes(changes: PeerChanges, now: number): Heard {
    const remote = this.#current(changes.node, changes.instance);
    if (!remote) return 'unknown';
    if (changes.version !== remote.version + 1) return 'behind';
    remote.lastSeen = now;
    remote.version = changes.version;
    for (const id of changes.removed)
      if (remote.peers.has(id)) this.#drop(changes.node, remote, id, `peer ${id} left node ${changes.node}`);
    for (const peer of changes.added) this.#consider(changes.node, remote, peer);
    return 'current';
  }

  #current(node: string, instance: string): RemoteNode | undefined {
    const remote = this.#remotes.get(node);
    return remote?.instance === instance ? remote : undefined;
  }

  /** A peer a node says it holds: taken once the KV agrees, unless it is outside the range or held by another. */
  #consider(node: string, remote: RemoteNode, peer: RemotePeer): void {
    const owner = this.#owners.get(peer.id);
    if (!this.#hooks.inRange(peer.id)) {
      this.#hooks.warn(
        'id-range',
        `cluster: node ${node} says it holds id ${peer.id}, outside the cluster's ids: ignored`,
      );
    } else if ((owner !== undefined && owner !== node) || this.#hooks.ownsId(peer.id)) {
      this.#hooks.warn(
        'id-taken',
        `cluster: node ${node} says it holds id ${peer.id}, which ${owner ?? 'this node'} holds: ignored`,
      );
    } else if (remote.peers.has(peer.id)) {
      this.#add(node, remote, peer);
    } else {
      void this.#checkClaim(node, remote, peer);
    }
  }

  /** Heartbeats begin: a gap from here on longer than the time-out means this host was held up. */
  heartbeatsBegin(now: number): void {
    this.#lastExpire = now;
  }

  /**
   * Forgets every node not heard from for `timeoutMs`, called each heartbeat. Unless this host was itself held up
   * past the time-out since the last call: then the others' news is still in its socket, and they are given a
   * time-out to be heard.
   */
  expire(now: number, timeoutMs: number): void {
    const heldUpMs = now - (this.#lastExpire ?? now);
    this.#lastExpire = now;
    if (heldUpMs > timeoutMs) {
      for (const remote of this.#remotes.values()) remote.lastSeen = now;
      return this.#hooks.warn(
        'held-up',
        `cluster: this host was held up for ${Math.round(heldUpMs)} ms (stopped, or starved of CPU): ` +
          "the other hosts' silence meanwhile is not held against them",
      );
    }
    for (const [node, remote] of this.#remotes) {
      if (remote.lastSeen < now - timeoutMs) this.forget(node, `node ${node} silent for ${timeoutMs} ms`);
    }
  }

  /** A node has left: its peers leave, and nothing of it is kept. */
  forget(node: string, reason: string): void {
    const remote = this.#remotes.get(node);
    this.#joining.delete(node);
    this.#checking.delete(node);
    if (!remote) return;
    this.#remotes.delete(node);
    for (const id of [...remote.peers.keys()]) this.#drop(node, remote, id, reason);
    this.#hooks.nodeLeft(node, reason);
  }

  /** A new node (if there is room) or a known one's new instance, taken once the KV says it holds the name. */
  #admit(state: NodeState, now: number): void {
    if (this.#joining.has(state.node)) return void this.#joining.set(state.node, state);
    const known = this.#remotes.has(state.node);
    if ((!known && !this.hasRoom) || this.#checks.take(1, now) === 0) {
      return this.#hooks.warn(
        'max-nodes',
        `cluster: a node was not let in: ${this.#maxNodes} nodes at most (--cluster-max-hosts), ${NODE_CHECKS_PER_SECOND} new ones a second`,
      );
    }
    this.#joining.set(state.node, state);
    this.#hooks
      .isMember(state.node, state.instance)
      .then((member) => {
        const latest = this.#joining.get(state.node);
        if (!latest) return;
        this.#joining.delete(state.node);
        // A newer word from the instance checked is taken; another instance's is not (it was not checked).
        const checked = latest.instance === state.instance ? latest : state;
        if (!member) {
          return this.#hooks.warn(
            known ? 'second-instance' : 'not-member',
            known
              ? `cluster: a second famez calls itself node ${state.node} and does not hold that name in the ` +
                  "cluster's KV: ignored (check --node on every host)"
              : `cluster: node ${state.node} holds no name in the cluster's KV: ignored`,
          );
        }
        if (this.#remotes.has(state.node)) this.forget(state.node, `node ${state.node} restarted`);
        this.#remotes.set(state.node, {
          instance: checked.instance,
          lastSeen: now,
          peers: new Map(),
          spares: 0,
          version: 0,
        });
        this.#hooks.nodeAppeared(state.node);
        this.heard(checked, now);
      })
      .catch(() => this.#joining.delete(state.node)) // NATS is out of reach: the next heartbeat asks again
      .finally(() => this.#hooks.settled(state.node));
  }

  async #checkClaim(node: string, remote: RemoteNode, peer: RemotePeer): Promise<void> {
    let checking = this.#checking.get(node);
    if (checking?.has(peer.id)) return;
    if (!checking) this.#checking.set(node, (checking = new Set()));
    checking.add(peer.id);
    try {
      let holder = await this.#hooks.holder(peer.id);
      // "No node" may be a KV that has not caught up (a server lost or back): asked again a heartbeat later,
      // a few times, the check still under way (the peer's messages wait for it).
      for (let asked = 1; holder === undefined && asked < NO_HOLDER_ASKS; asked++) {
        await new Promise<void>((resolve) => this.#hooks.later(resolve));
        if (this.#remotes.get(node) !== remote) return;
        holder = await this.#hooks.holder(peer.id);
      }
      if (this.#remotes.get(node) !== remote || this.#owners.has(peer.id) || this.#hooks.ownsId(peer.id)) return;
      if (holder === node) return this.#add(node, remote, peer);
      this.#hooks.warn(
        'claim-check',
        `cluster: node ${node} says it holds id ${peer.id}, which the cluster's KV gives to ${holder === undefined ? 'no node' : `node ${holder}`}: ignored`,
      );
    } catch {
      // NATS is out of reach or slow: asked again a heartbeat later (the peer is told only once, as a change).
      this.#hooks.later(() => {
        if (this.#remotes.get(node) === remote && !remote.peers.has(peer.id)) void this.#checkClaim(node, remote, peer);
      });
    } finally {
      checking.delete(peer.id);
      if (checking.size === 0 && this.#checking.get(node) === checking) this.#checking.delete(node);
      this.#hooks.settled(node);
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
