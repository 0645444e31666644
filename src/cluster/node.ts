// One famez instance in a cluster: its bus (NATS), its claims, and what it
// knows of the other nodes. Every heartbeat says which peers this node holds;
// a node not heard from within the time-out has left, and its peers leave
// here. Nothing local waits on any of this: bus calls run beside the event
// loop's other work, and their failures only delay the cluster's view.
import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import type { FaultChange } from '../switching/faults.js';
import { peerLinkName, peerOfLink } from '../switching/topology.js';
import { Announcer } from './announcer.js';
import { Batches } from './batches.js';
import { systemClock, type Clock, type ClusterBus, type Timer } from './bus.js';
import { Claims } from './claims.js';
import type { IdSpace } from './id-space.js';
import { ClusterTraffic } from './traffic.js';
import { IdPool } from './id-pool.js';
import { moreIds, noFreeIdOf } from './more-ids.js';
import { HostLinks, hostLinkName } from './links.js';
import { Membership } from './membership.js';
import { planCluster, type ClusterOptions, type ClusterPlan } from './options.js';
export type { ClusterNodeDeps, ClusterNodeEvents } from './node-types.js';
import type { ClusterNodeDeps, ClusterNodeEvents } from './node-types.js';
import { subjects, type Directed, type RemotePeer, type WireMessage, encodeWire } from './wire.js';
import { limitedWarnings } from './warnings.js';
import { settledWithin } from './within.js';

export class ClusterNode extends EventEmitter<ClusterNodeEvents> {
  readonly plan: ClusterPlan;
  readonly instance = randomUUID();
  /** The links to the other hosts and the peers' own links: their faults and counters. */
  readonly links: HostLinks;
  readonly clock: Clock;
  readonly #deps: ClusterNodeDeps;
  readonly #ids: IdSpace;
  readonly #subjects: ReturnType<typeof subjects>;
  readonly members: Membership;
  readonly #traffic: ClusterTraffic;
  readonly #announcer: Announcer;
  readonly #batches = new Batches((node, items) =>
    this.publish(this.#subjects.to(node), this.#announcer.directed(items)),
  );
  #bus?: ClusterBus;
  #claims?: Claims;
  #pool?: IdPool;
  #localPeers: () => RemotePeer[] = () => [];
  #timer?: Timer;
  #announcing?: Timer;
  #closing?: Promise<void>;
  /** NATS is reachable: directed traffic is sent only then (buffered, it would arrive after its sender timed out). */
  #connected = false;

  /** Checks the options (a ClusterError names what is wrong); join() connects. */
  constructor(options: ClusterOptions, ids: IdSpace, deps: ClusterNodeDeps = {}) {
    super();
    this.plan = planCluster(options);
    this.clock = deps.clock ?? systemClock;
    this.links = new HostLinks(this.clock);
    this.#deps = deps;
    this.#ids = ids;
    this.#subjects = subjects(this.plan.name, this.plan.node);
    this.#announcer = new Announcer(this.plan.node, this.instance);
    this.members = new Membership(
      {
        ownsId: (id) => this.pool.owns(id),
        inRange: (id) => id >= ids.range.first && id <= ids.range.last,
        holder: (id) => this.#claims!.holder(id),
        isMember: (node, instance) => this.#claims!.isMember(node, instance),
        nodeAppeared: (node) => {
          this.emit('node-joined', node);
          this.#traffic.catchUp(node);
        },
        nodeLeft: (node, reason) => {
          this.#traffic.forget(node);
          this.emit('node-left', node, reason);
        },
        peerAdded: (node, peer) => this.emit('remote-peer', node, peer),
        peerGone: (node, id, reason) => this.emit('remote-peer-gone', node, id, reason),
        settled: (node) => this.#traffic.settle(node),
        warn: this.warn,
        later: (run) => {
          const timer = this.clock.setTimeout(() => this.#closing === undefined && run(), this.plan.heartbeatMs);
          timer.unref?.();
        },
      },
      this.plan.maxNodes,
      this.clock.now(),
    );
    this.#traffic = new ClusterTraffic(this, {
      directed: (message) => this.emit('directed', message),
      remoteFault: (change) => this.emit('remote-fault', change),
    });
  }

  /** For ServerOptions.reserved: every id this node has not claimed (all of them before join()). */
  readonly reserved = (id: number): boolean => this.#pool?.reserved(id) ?? true;

  /** For ServerOptions.noFreeId: why a joining peer finds no id, with who holds them (peers, spares). */
  readonly noFreeId = (): string => noFreeIdOf(this, this.#ids.range);

  /** For ServerOptions.moreIds: with no spare here, a join waits for one (claimed now, or given by another host). */
  readonly moreIds = (): Promise<boolean> => moreIds(this);

  /** Another host is short of an id: one of this host's spares is freed for it. */
  giveSpare(): void {
    this.#pool?.giveSpare();
  }

  get pool(): IdPool {
    if (!this.#pool) throw new Error('the cluster node has not joined');
    return this.#pool;
  }

  /** A local router stands on this host's peers' own links. */
  get switched(): boolean {
    return this.#deps.switched === true;
  }

  get connected(): boolean {
    return this.#connected;
  }

  /** Connects, claims the node's name and its first spare ids. */
  async join(): Promise<void> {
    if (this.#bus) throw new Error('the cluster node has joined already');
    const connect = this.#deps.connect ?? (async (p: ClusterPlan) => (await import('./nats.js')).connectNatsBus(p));
    const bus = (this.#bus = await connect(this.plan));
    try {
      const claims = (this.#claims = new Claims(bus.claims, { ...this.plan, instance: this.instance }, this.warn));
      await claims.claimNode();
      this.#pool = new IdPool({
        claims,
        range: this.#ids.range,
        spare: this.plan.spareIds,
        random: this.#ids.random,
        heldElsewhere: (id) => this.members.ownerOf(id) !== undefined,
        hosts: () => this.members.nodes.length + 1,
        warn: this.warn,
      });
      await this.#pool.fill();
      this.#connected = true;
    } catch (error) {
      this.#bus = undefined;
      await bus.close().catch(() => {});
      throw error;
    }
  }

  /** Starts listening and heartbeats; `localPeers` says which peers this node holds now. */
  start(localPeers: () => RemotePeer[]): void {
    this.#localPeers = localPeers;
    const bus = this.#bus!;
    for (const subject of this.#subjects.listen) bus.subscribe(subject, (s, data) => this.#traffic.receive(s, data));
    bus.onStatus((up) => this.#status(up));
    bus.onWarning(this.warn);
    this.publish(this.#subjects.all, { t: 'hello', node: this.plan.node });
    this.announceFull();
    this.members.heartbeatsBegin(this.clock.now());
    this.#beatLater();
  }

  /** The node holding remote peer `id`, if any. */
  ownerOf(id: number): string | undefined {
    return this.members.ownerOf(id);
  }

  /** Remote nodes by name. */
  get nodes(): string[] {
    return this.members.nodes;
  }

  /** The local peers, as told to the others. */
  localPeers(): RemotePeer[] {
    return this.#localPeers();
  }

  /** Tells every node what changed in the peers this node holds (nothing if nothing did). */
  announce(): void {
    const changes = this.#announcer.changes(this.#localPeers());
    if (changes) this.publish(this.#subjects.all, changes);
  }

  /** Tells every node all the peers this node holds. */
  announceFull(): void {
    this.publish(this.#subjects.all, this.#announcer.full(this.#localPeers(), this.#pool?.spare ?? 0));
  }

  /** Answers a hello: one announcement for all the hellos of the next 100 ms (hellos cannot make it talk more). */
  announceSoon(): void {
    if (this.#announcing) return;
    this.#announcing = this.clock.setTimeout(() => {
      this.#announcing = undefined;
      this.announceFull();
    }, 100);
  }

  /** Switched: the changes the local router makes (to this host's peers' own links, and clearing every fault). */
  routerTakes(change: FaultChange): boolean {
    if (!this.#deps.switched) return false;
    if (change.link === undefined) return change.kind === 'clear';
    const id = peerOfLink(change.link);
    return id !== undefined && this.#pool?.owns(id) === true;
  }

  /**
   * Sends a ring, message or ack to the node holding peer `id`, through the
   * faults of the host link and of local peer `from`'s own link: false when no
   * node holds `id` or NATS is out of reach.
   */
  sendTo(id: number, message: Directed, from?: number): boolean {
    const node = this.members.ownerOf(id);
    if (node === undefined || !this.#connected) return false;
    const host = hostLinkName(node);
    const peer = from === undefined || message.t === 'ack' ? [] : [peerLinkName(from)];
    const crossing = this.switched ? { faulted: [host], counted: peer } : { faulted: [host, ...peer] };
    this.links.pass(crossing, message, () => this.#batches.add(node, message));
    return true;
  }

  /** Every link of the cluster as this node names it: one per other host, and every peer's own. */
  linkNames(): string[] {
    const peers = [...this.#localPeers().map((peer) => peer.id), ...this.members.ids()].sort((a, b) => a - b);
    return [...this.nodes.map(hostLinkName), ...peers.map(peerLinkName)];
  }

  /** Applies a fault change here and tells every other node; throws FaultError for a link the cluster does not have. */
  applyFault(change: FaultChange): FaultChange {
    return this.#traffic.applyFault(change);
  }

  /** Says goodbye, frees this node's claims, closes the bus. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.clock.clearTimeout(this.#timer);
      this.clock.clearTimeout(this.#announcing);
      this.links.close();
      this.#traffic.close();
      this.#pool?.close();
      const bus = this.#bus;
      if (bus && !bus.closed) {
        this.publish(this.#subjects.all, { t: 'bye', node: this.plan.node, instance: this.instance });
        await settledWithin(this.#claims!.releaseAll(), 1000);
        await bus.close();
      }
    })();
    return this.#closing;
  }

  /** @internal: publishes on one of this node's subjects; nothing while another instance holds this node's name. */
  publish(subject: string, message: WireMessage): void {
    if (this.#claims?.holdsName === false) return;
    try {
      this.#bus!.publish(subject, encodeWire(message));
    } catch (error) {
      this.warn('publish', `cluster: cannot publish to NATS: ${(error as Error).message}`);
    }
  }

  /** @internal */
  get subjects(): ReturnType<typeof subjects> {
    return this.#subjects;
  }

  /** @internal: NATS delivered something, so it is reachable even if the status stream has not said so yet. */
  heardFromBus(): void {
    this.#connected = true;
  }

  /** Warns (as 'warning'), a line per kind of trouble every 10 s at most. */
  readonly warn = limitedWarnings(
    () => this.clock.now(),
    (line) => this.emit('warning', line),
  );

  #beatLater(): void {
    this.#timer = this.clock.setTimeout(() => {
      this.#beat();
      this.#beatLater();
    }, this.plan.heartbeatMs);
    this.#timer.unref?.();
  }

  #beat(): void {
    // Names a peer wrote since go out as changes; the heartbeat itself stays small.
    this.announce();
    this.publish(this.#subjects.all, this.#announcer.beat(this.#pool?.spare ?? 0));
    this.members.expire(this.clock.now(), this.plan.timeoutMs);
    if (this.#connected) void this.pool.keep();
  }

  #status(up: boolean): void {
    this.#connected = up;
    this.emit('connection', up);
    if (!up) return;
    this.publish(this.#subjects.all, { t: 'hello', node: this.plan.node });
    this.announceFull();
    this.#traffic.resendFaults();
    // Claims that expired in the outage are taken back now: until then other hosts find no holder for them.
    void this.#pool?.keep();
  }
}
