// One famez instance in a cluster: its NATS connection, its claims, and what
// it knows of the other nodes. Every heartbeat says which peers this node
// holds; a node not heard from within the time-out has left, and its peers
// leave here. Nothing local waits on any of this: NATS calls run beside the
// event loop's other work, and their failures only delay the cluster's view.
import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import { Claims } from './claims.js';
import { IdPool } from './id-pool.js';
import type { FaultChange } from '../switching/faults.js';
import { peerLinkName } from '../switching/topology.js';
import { Batches } from './batches.js';
import { changesFor, renamedChange } from './fault-sync.js';
import { HostLinks, hostLinkName } from './links.js';
import { Membership } from './membership.js';
import { connectNats, openBucket, type NatsConnection } from './nats.js';
import { planCluster, type ClusterOptions, type ClusterPlan } from './options.js';
import {
  decodeWire,
  encodeWire,
  subjects,
  type Directed,
  type FaultMessage,
  type NodeState,
  type RemotePeer,
  type WireMessage,
} from './wire.js';

export interface ClusterNodeEvents {
  /** A peer of another node appeared (or changed its names). */
  'remote-peer': [node: string, peer: RemotePeer];
  'remote-peer-gone': [node: string, id: number, reason: string];
  /** A fault change another node made, as this node names its links (links.faults has it already). */
  'remote-fault': [FaultChange];
  /** A ring, message or ack for this node. */
  directed: [Directed];
  /** NATS is reachable (true) or not (false). */
  connection: [boolean];
  warning: [string];
}

export interface IdSpace {
  range: { first: number; last: number };
  random: boolean;
}

export class ClusterNode extends EventEmitter<ClusterNodeEvents> {
  readonly plan: ClusterPlan;
  readonly instance = randomUUID();
  /** The links to the other hosts and the peers' own links: their faults and counters. */
  readonly links = new HostLinks();
  /**
   * Switched: the fault changes the local router makes (to this host's peers'
   * own links, and clearing every fault). The node then faults no peer link
   * itself: the router stands on those links already. Unset: the node does.
   */
  routerTakes?: (change: FaultChange) => boolean;
  readonly #ids: IdSpace;
  readonly #subjects: ReturnType<typeof subjects>;
  readonly #members: Membership;
  readonly #batches = new Batches((node, items) =>
    this.#send(
      this.#subjects.to(node),
      items.length === 1 ? { ...items[0]!, node: this.plan.node } : { t: 'batch', node: this.plan.node, items },
    ),
  );
  #nc?: NatsConnection;
  #claims?: Claims;
  #pool?: IdPool;
  #localPeers: () => RemotePeer[] = () => [];
  #timer?: NodeJS.Timeout;
  #closing?: Promise<void>;
  #warned = new Map<string, number>();
  /** NATS is reachable: directed traffic is sent only then (the client would buffer it and deliver it late, after the sender timed out). */
  #connected = false;
  #refreshing = false;

  /** Checks the options (a ClusterError names what is wrong); join() connects. */
  constructor(options: ClusterOptions, ids: IdSpace) {
    super();
    this.plan = planCluster(options);
    this.#ids = ids;
    this.#subjects = subjects(this.plan.name);
    this.#members = new Membership({
      ownsId: (id) => this.pool.owns(id),
      holder: (id) => this.#claims!.holder(id),
      nodeAppeared: (node) => this.#catchUp(node),
      peerAdded: (node, peer) => this.emit('remote-peer', node, peer),
      peerGone: (node, id, reason) => this.emit('remote-peer-gone', node, id, reason),
      warn: (line) => this.#warn(line),
    });
  }

  /** For ServerOptions.reserved: every id this node has not claimed (all of them before join()). */
  readonly reserved = (id: number): boolean => this.#pool?.reserved(id) ?? true;

  /** For ServerOptions.noFreeId: why a joining peer finds no id (this node gives only ids it claimed ahead). */
  readonly noFreeId = (): string => {
    const { first, last } = this.#ids.range;
    if (!this.#connected)
      return `no cluster id free on this host: ids are claimed ahead from NATS at ${this.plan.url}, which is out of reach: the peer can join once NATS is back`;
    if (this.#pool?.short)
      return `no cluster id free: every id from ${first} to ${last} is taken across cluster ${this.plan.name}: wait for peers to leave, or start with more ids`;
    return `no cluster id free on this host yet: more are being claimed from NATS at ${this.plan.url}: try again in a moment`;
  };

  get pool(): IdPool {
    if (!this.#pool) throw new Error('the cluster node has not joined');
    return this.#pool;
  }

  /** Connects, claims the node's name and its first spare ids. */
  async join(): Promise<void> {
    if (this.#nc) throw new Error('the cluster node has joined already');
    const plan = this.plan;
    const nc = (this.#nc = await connectNats(plan));
    try {
      const claims = (this.#claims = new Claims(await openBucket(nc, plan), plan));
      await claims.claimNode();
      this.#pool = new IdPool({
        claims,
        range: this.#ids.range,
        spare: plan.spareIds,
        random: this.#ids.random,
        heldElsewhere: (id) => this.#members.ownerOf(id) !== undefined,
        warn: (line) => this.#warn(line),
      });
      await this.#pool.fill();
      this.#connected = true;
    } catch (error) {
      this.#nc = undefined;
      await nc.close().catch(() => {});
      throw error;
    }
  }

  /** A node that has joined. */
  static async join(options: ClusterOptions, ids: IdSpace): Promise<ClusterNode> {
    const node = new ClusterNode(options, ids);
    await node.join();
    return node;
  }

  #connection(): NatsConnection {
    if (!this.#nc) throw new Error('the cluster node has not joined');
    return this.#nc;
  }

  /** Starts listening and heartbeats; `localPeers` says which peers this node holds now. */
  start(localPeers: () => RemotePeer[]): void {
    this.#localPeers = localPeers;
    const s = this.#subjects;
    const nc = this.#connection();
    for (const subject of [s.state, s.hello, s.bye, s.fault, s.to(this.plan.node)]) {
      nc.subscribe(subject, {
        callback: (error, msg) => {
          if (!error) this.#receive(msg.data);
        },
      });
    }
    void this.#watchStatus();
    this.#send(s.hello, { t: 'hello', node: this.plan.node });
    this.announce();
    this.#timer = setInterval(() => this.#beat(), this.plan.heartbeatMs);
    this.#timer.unref();
  }

  /** The node holding remote peer `id`, if any. */
  ownerOf(id: number): string | undefined {
    return this.#members.ownerOf(id);
  }

  /** Remote peers by id. */
  remotePeers(): Map<number, { node: string; peer: RemotePeer }> {
    return this.#members.peers();
  }

  /** Remote nodes by name. */
  get nodes(): string[] {
    return this.#members.nodes;
  }

  /** Tells every node which peers this node holds now. */
  announce(): void {
    const state: NodeState = { t: 'state', node: this.plan.node, instance: this.instance, peers: this.#localPeers() };
    this.#send(this.#subjects.state, state);
  }

  /**
   * Sends a ring, message or ack to the node holding peer `id`, through the
   * faults of the host link and of local peer `from`'s own link: false when no
   * node holds `id` or NATS is out of reach.
   */
  sendTo(id: number, message: Directed, from?: number): boolean {
    const node = this.#members.ownerOf(id);
    if (node === undefined || !this.#connected) return false;
    const host = hostLinkName(node);
    const peer = from === undefined || message.t === 'ack' ? [] : [peerLinkName(from)];
    const crossing = this.routerTakes ? { faulted: [host], counted: peer } : { faulted: [host, ...peer] };
    this.links.pass(crossing, message, () => this.#batches.add(node, message));
    return true;
  }

  /** Every link of the cluster as this node names it: one per other host, and every peer's own. */
  linkNames(): string[] {
    const peers = [...this.#localPeers().map((peer) => peer.id), ...this.#members.ids()].sort((a, b) => a - b);
    return [...this.nodes.map(hostLinkName), ...peers.map(peerLinkName)];
  }

  /** Applies a fault change here and tells every other node; throws FaultError for a link the cluster does not have. */
  applyFault(change: FaultChange): FaultChange {
    this.links.apply(change, this.linkNames());
    this.#send(this.#subjects.fault, { t: 'fault', node: this.plan.node, change });
    return change;
  }

  /** Says goodbye, frees this node's claims, closes NATS. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      clearInterval(this.#timer);
      this.links.close();
      this.#pool?.close();
      const nc = this.#nc;
      if (nc && !nc.isClosed()) {
        this.#send(this.#subjects.bye, { t: 'bye', node: this.plan.node, instance: this.instance });
        await Promise.race([this.#claims!.releaseAll(), new Promise((resolve) => setTimeout(resolve, 1000))]);
        await nc.drain().catch(() => nc.close());
      }
    })();
    return this.#closing;
  }

  #send(subject: string, message: WireMessage): void {
    try {
      this.#connection().publish(subject, encodeWire(message));
    } catch (error) {
      this.#warn(`cluster: cannot publish to NATS: ${(error as Error).message}`);
    }
  }

  #beat(): void {
    this.announce();
    this.#members.expire(performance.now() - this.plan.timeoutMs, this.plan.timeoutMs);
    // One refresh at a time: while NATS is unreachable each one waits for its requests to time out.
    if (this.#refreshing || !this.#connected) return;
    this.#refreshing = true;
    this.#claims!.refresh()
      .then((lost) => {
        for (const id of lost) {
          this.pool.lost(id);
          this.#warn(
            `cluster: id ${id} was claimed by another node while NATS was unreachable: its local peer is no longer reachable from other hosts`,
          );
        }
        return this.pool.fill();
      })
      .catch(() => {})
      .finally(() => {
        this.#refreshing = false;
      });
  }

  #receive(data: Uint8Array): void {
    // What arrives came through NATS: it is reachable, even if the status stream has not said so yet.
    this.#connected = true;
    const message = decodeWire(data);
    if (typeof message === 'string')
      return this.#warn(`cluster: ignored ${message} from NATS subject famez.${this.plan.name}.*`);
    switch (message.t) {
      case 'state':
        return this.#state(message);
      case 'hello':
        if (message.node !== this.plan.node) this.announce();
        return;
      case 'bye':
        if (this.#members.instanceOf(message.node) === message.instance)
          this.#members.forget(message.node, `node ${message.node} left`);
        return;
      case 'fault':
        return this.#remoteFault(message);
      case 'batch':
        return message.items.forEach((item) => this.#directed(item));
      default:
        return this.#directed(message);
    }
  }

  /** A ring, message or ack from another node: the sender faulted the host link, the receiver's own link is faulted here. */
  #directed(message: Directed): void {
    const host = [hostLinkName(message.node!)];
    const peer = message.t === 'ack' ? [] : [peerLinkName(message.to)];
    const crossing = this.routerTakes ? { faulted: [], counted: [...host, ...peer] } : { faulted: peer, counted: host };
    this.links.pass(crossing, message, () => this.emit('directed', message));
  }

  #state(state: NodeState): void {
    if (state.node !== this.plan.node) return this.#members.heard(state, performance.now());
    if (state.instance !== this.instance)
      this.#warn(`cluster: another instance calls itself node ${state.node}: check --node on every host`);
  }

  /** A change another node made, as this node names its links. */
  #remoteFault({ node, change }: FaultMessage): void {
    const renamed = node === this.plan.node ? undefined : renamedChange(this.plan.node, node, change);
    if (!renamed) return;
    this.links.record(renamed);
    this.emit('remote-fault', renamed);
  }

  /** Tells a node that has just appeared the faults on its link to this one and on this node's peers' links. */
  #catchUp(node: string): void {
    const concerned = new Set([hostLinkName(node), ...this.#localPeers().map((peer) => peerLinkName(peer.id))]);
    for (const [link, faults] of this.links.faults.entries()) {
      if (!concerned.has(link)) continue;
      for (const change of changesFor(link, faults))
        this.#send(this.#subjects.to(node), { t: 'fault', node: this.plan.node, change });
    }
  }

  async #watchStatus(): Promise<void> {
    for await (const status of this.#connection().status()) {
      if (status.type === 'disconnect') {
        this.#connected = false;
        this.emit('connection', false);
      } else if (status.type === 'reconnect') {
        this.#connected = true;
        this.emit('connection', true);
        this.#send(this.#subjects.hello, { t: 'hello', node: this.plan.node });
        this.announce();
      }
    }
  }

  /** At most one line per kind of trouble every 10 s. */
  #warn(line: string): void {
    const key = line.slice(0, 40);
    const now = performance.now();
    if (now - (this.#warned.get(key) ?? -Infinity) < 10_000) return;
    this.#warned.set(key, now);
    this.emit('warning', line);
  }
}
