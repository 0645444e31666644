// The switched fabric's forwarding policy: each doorbell goes from the
// sender's switch to the receiver's along the first of the k shortest paths
// whose links are up, takes the sum of their latencies, and may be lost or
// held back by the faults of the links it crosses. Counts per link, traces
// to subscribers. The server calls forward() for every switched doorbell.
import { EventEmitter } from 'node:events';
import type { ForwardingPolicy, ForwardingServer, SwitchedDoorbell, Verdict } from '../server/forwarding.js';
import { checkChange, describeChange, FaultError, FaultState, type FaultChange, type LinkFaults } from './faults.js';
import { cross, isClear, newLink, setFaults, type LinkRuntime, type Route } from './link-runtime.js';
import { mulberry32 } from './prng.js';
import { firstUp, kShortestPaths, type Path } from './routing.js';
import { attachmentOf, peerLinkName, peerOfLink, singleSwitch, type Attachment, type Topology } from './topology.js';
import { TraceSubscription } from './trace.js';
import type { LinkCounters, MessageInspector, TraceEntry } from './router-types.js';

export type { LinkCounters, MessageInspector, TraceEntry } from './router-types.js';

export interface RouterOptions {
  topology?: Topology;
  /** PRNG seed for drops (default: from the clock). */
  seed?: number;
  /** The nodename of a peer, for attachments by nodename. */
  nodename?: (id: number) => string | undefined;
  inspect?: MessageInspector;
  now?: () => number;
  /** The peer ids there can be, for peer links' names (default 0 to 65535). */
  peerRange?: readonly [number, number];
}

export interface RouterEvents {
  /** A fault changed (already applied). */
  fault: [FaultChange, string];
  trace: [TraceEntry];
}

export class Router extends EventEmitter<RouterEvents> implements ForwardingPolicy {
  readonly topology: Topology;
  readonly #faults = new FaultState();
  readonly #links = new Map<string, LinkRuntime>();
  readonly #paths = new Map<string, Path[]>();
  readonly #routes = new Map<number, Route>();
  readonly #attachments = new Map<number, Attachment>();
  readonly #subscriptions = new Set<TraceSubscription<TraceEntry>>();
  readonly #random: () => number;
  readonly #now: () => number;
  readonly #options: RouterOptions;
  /** Fault changes applied since start. */
  faultChanges = 0;
  /** The server's side of the fast path (ForwardingPolicy.attach). */
  #server?: ForwardingServer;
  /** Listeners of 'trace': while there are any, every doorbell is looked at. */
  #tracers = 0;

  constructor(options: RouterOptions = {}) {
    super();
    this.#options = options;
    this.topology = options.topology ?? singleSwitch();
    this.#random = mulberry32(options.seed ?? Date.now());
    this.#now = options.now ?? (() => performance.now());
    for (const link of this.topology.links) this.#links.set(link.name, newLink(link.name, link.latencyUs));
    const emitter = this as EventEmitter;
    emitter.on('newListener', (event: string | symbol) => {
      if (event === 'trace') this.#tracing(+1);
    });
    emitter.on('removeListener', (event: string | symbol) => {
      if (event === 'trace') this.#tracing(-1);
    });
  }

  attach(server: ForwardingServer): void {
    this.#server = server;
  }

  /**
   * Doorbells between the pair pass in the addon when nothing would look at them: no fault, latency, trace or message
   * count.
   */
  bypasses(from: number, to: number): boolean {
    if (this.#options.inspect || this.#tracers > 0 || this.#subscriptions.size > 0) return false;
    const route = this.#route(from, to);
    return (
      !route.unreachable && route.baseUs === 0 && route.links.every((link) => !link.faults || isClear(link.faults))
    );
  }

  /** Delayed doorbells the server could not hold (its delay queue was full): lost on the route's last link. */
  overflowed(doorbell: SwitchedDoorbell): void {
    const links = this.#route(doorbell.from, doorbell.to).links;
    const last = links[links.length - 1];
    if (last) last.counters.dropped += doorbell.count;
  }

  /** Doorbells that passed in the addon: counted as forward() would have. */
  passed(doorbell: SwitchedDoorbell): void {
    for (const link of this.#route(doorbell.from, doorbell.to).links) link.counters.forwarded += doorbell.count;
  }

  #tracing(change: number): void {
    this.#server?.report();
    this.#tracers += change;
    // 'newListener' comes before the listener is added: look again once it is.
    queueMicrotask(() => this.#server?.refresh());
  }

  forward(doorbell: SwitchedDoorbell): Verdict {
    const route = this.#route(doorbell.from, doorbell.to);
    const { passed, crossed, addedUs, reason } = cross(route, doorbell.count, this.#random, this.#now);
    const delayUs = route.baseUs + addedUs;
    const message = passed > 0 ? this.#options.inspect?.(doorbell) : undefined;
    if (passed > 0) {
      for (const link of route.links) {
        const counters = link.counters;
        counters.forwarded += passed;
        if (delayUs > 0) counters.delayed += passed;
        if (message) {
          counters.messages++;
          counters.bytes += message.bytes;
        }
      }
    }
    const outcome = passed === 0 ? 'dropped' : delayUs > 0 ? 'delayed' : 'forwarded';
    if (this.#subscriptions.size > 0 || this.listenerCount('trace') > 0) {
      const links = route.links.slice(0, passed > 0 ? route.links.length : crossed).map((link) => link.name);
      this.#trace({
        at: performance.timeOrigin + performance.now(),
        ...doorbell,
        passed,
        outcome,
        delayUs,
        links,
        reason,
        text: message?.text,
      });
    }
    if (passed === 0) return { kind: 'drop' };
    if (delayUs > 0) return { kind: 'delay', us: delayUs, count: passed };
    return { kind: 'deliver', count: passed };
  }

  /**
   * Applies a fault change and returns it as applied (link names canonical); throws FaultError for a link the topology
   * has not.
   */
  apply(asked: FaultChange): FaultChange {
    checkChange(asked);
    const change =
      asked.kind !== 'clear' || asked.link !== undefined ? { ...asked, link: this.#linkName(asked.link!) } : asked;
    // What passed in the addon counts on the routes it took, before they change.
    this.#server?.report();
    this.#faults.apply(change);
    for (const link of this.#links.values()) this.#refresh(link);
    this.#routes.clear();
    this.#server?.refresh();
    this.faultChanges++;
    this.emit('fault', change, describeChange(change));
    return change;
  }

  /** The faults now, by link. */
  faults(): [string, LinkFaults][] {
    return this.#faults.entries();
  }

  /** Counters of every link that has carried or been named, by name. */
  counters(): Map<string, LinkCounters> {
    this.#server?.report();
    return new Map([...this.#links].map(([name, link]) => [name, { ...link.counters }]));
  }

  /** The k shortest paths between two switches, up or not. */
  paths(from: string, to: string): Path[] {
    const key = `${from}\n${to}`;
    let paths = this.#paths.get(key);
    if (!paths) this.#paths.set(key, (paths = kShortestPaths(this.topology.links, from, to, this.topology.paths)));
    return paths;
  }

  /** Where a peer is attached (cached until peerChanged). */
  attachment(id: number): Attachment {
    let attachment = this.#attachments.get(id);
    if (!attachment)
      this.#attachments.set(id, (attachment = attachmentOf(this.topology, id, this.#options.nodename?.(id))));
    return attachment;
  }

  /** A peer joined, left or renamed itself: find its attachment again. */
  peerChanged(id: number): void {
    this.#server?.report();
    this.#attachments.delete(id);
    this.#routes.clear();
    this.#server?.refresh();
  }

  /** Trace entries as an async iterator, buffering at most `limit` (the oldest go first). */
  subscribe(limit = 1024): TraceSubscription<TraceEntry> {
    const subscription = new TraceSubscription<TraceEntry>(limit, () => {
      this.#subscriptions.delete(subscription);
      this.#server?.refresh();
    });
    this.#server?.report();
    this.#subscriptions.add(subscription);
    this.#server?.refresh();
    return subscription;
  }

  #trace(entry: TraceEntry): void {
    for (const subscription of this.#subscriptions) subscription.push(entry);
    this.emit('trace', entry);
  }

  /** A link's name as it is kept (`peer:007` is `peer:7`); a FaultError listing the links for one there is not. */
  #linkName(name: string): string {
    const peer = peerOfLink(name);
    const [min, max] = this.#options.peerRange ?? [0, 65535];
    if (peer !== undefined && peer >= min && peer <= max) return peerLinkName(peer);
    if (peer === undefined && this.topology.links.some((link) => link.name === name)) return name;
    const known = this.topology.links.map((link) => link.name);
    throw new FaultError(`no link "${name}": the links are ${[...known, `peer:ID (ID ${min} to ${max})`].join(', ')}`);
  }

  #link(name: string, latencyUs: number): LinkRuntime {
    let link = this.#links.get(name);
    if (!link) {
      this.#links.set(name, (link = newLink(name, latencyUs)));
      this.#refresh(link);
    }
    return link;
  }

  #refresh(link: LinkRuntime): void {
    setFaults(link, this.#faults.get(link.name), this.#now);
  }

  #route(from: number, to: number): Route {
    const key = from * 65536 + to;
    let route = this.#routes.get(key);
    if (route) return route;
    const source = this.attachment(from);
    const target = this.attachment(to);
    const first = this.#link(peerLinkName(from), source.latencyUs);
    const last = this.#link(peerLinkName(to), target.latencyUs);
    const path = firstUp(this.paths(source.switch, target.switch), (name) => this.#faults.isUp(name));
    if (!path) {
      route = {
        links: [first, last],
        baseUs: 0,
        unreachable: `no path from switch ${source.switch} to ${target.switch} is up`,
      };
    } else {
      const links = [first, ...path.links.map((name) => this.#links.get(name)!), last];
      route = { links, baseUs: links.reduce((sum, link) => sum + link.latencyUs, 0) };
    }
    this.#routes.set(key, route);
    return route;
  }
}
