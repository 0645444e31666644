// The cluster bus in memory: a MemoryNetwork stands for nats-server (subjects,
// per-user permissions, a KV bucket whose entries expire on the injected
// clock), and each MemoryBus for one node's connection to it. Delivery is
// asynchronous (a microtask), in publish order, as NATS delivers one
// publisher's messages. The unit tests of the cluster run on it.
import { BusError, ClaimConflict, type ClaimStore, type Clock, type ClusterBus, type Receiver } from './bus.js';
import { subjectMatches } from './bus.js';

/** Subjects a connection may publish and subscribe to (NATS permissions); all when absent. */
export interface Permissions {
  publish?: readonly string[];
  subscribe?: readonly string[];
}

interface Entry {
  value: string;
  revision: number;
  expiresAt: number;
}

export class MemoryNetwork {
  readonly #clock: Clock;
  readonly #ttlMs: number;
  readonly #buses = new Set<MemoryBus>();
  readonly #entries = new Map<string, Entry>();
  #revision = 0;
  /** Every publish that reached the network (what a test may count). */
  published = 0;

  constructor(clock: Clock, ttlMs: number) {
    this.#clock = clock;
    this.#ttlMs = ttlMs;
  }

  /** A new connection (a node's bus). */
  connect(permissions: Permissions = {}): MemoryBus {
    const bus = new MemoryBus(this, permissions);
    this.#buses.add(bus);
    return bus;
  }

  /** @internal */
  deliver(subject: string, data: Uint8Array): void {
    this.published++;
    for (const bus of this.#buses) bus.receive(subject, data);
  }

  /** @internal */
  disconnect(bus: MemoryBus): void {
    this.#buses.delete(bus);
  }

  /** @internal: the bucket, with expired entries gone. */
  entry(key: string): Entry | undefined {
    const entry = this.#entries.get(key);
    if (entry && entry.expiresAt <= this.#clock.now()) this.#entries.delete(key);
    return this.#entries.get(key);
  }

  /** @internal */
  write(key: string, value: string): number {
    this.#entries.set(key, { value, revision: ++this.#revision, expiresAt: this.#clock.now() + this.#ttlMs });
    return this.#revision;
  }

  /** @internal */
  remove(key: string): void {
    this.#entries.delete(key);
  }

  /** @internal */
  keys(prefix: string): string[] {
    return [...this.#entries.keys()].filter((key) => key.startsWith(prefix) && this.entry(key));
  }
}

export class MemoryBus implements ClusterBus {
  readonly claims: ClaimStore;
  readonly #network: MemoryNetwork;
  readonly #permissions: Permissions;
  readonly #subscriptions: { subject: string; receive: Receiver }[] = [];
  readonly #status: ((up: boolean) => void)[] = [];
  #up = true;
  #closed = false;
  /** Messages on matching subjects are lost on their way here (a test's lossy network; the status stays up). */
  losing?: (subject: string) => boolean;
  /** KV calls on matching keys fail as a timed-out NATS request does (a test's slow server; the status stays up). */
  failing?: (key: string) => boolean;

  constructor(network: MemoryNetwork, permissions: Permissions) {
    this.#network = network;
    this.#permissions = permissions;
    this.claims = memoryClaims(network, (key) => this.#check(key));
  }

  get closed(): boolean {
    return this.#closed;
  }

  publish(subject: string, data: Uint8Array): void {
    if (this.#closed) throw new BusError('the bus is closed');
    // NATS drops a publish its permissions deny (and says so to the client only).
    if (!this.#up || !allowed(this.#permissions.publish, subject)) return;
    const copy = data.slice();
    queueMicrotask(() => this.#network.deliver(subject, copy));
  }

  subscribe(subject: string, receive: Receiver): void {
    if (this.#closed) throw new BusError('the bus is closed');
    if (allowed(this.#permissions.subscribe, subject)) this.#subscriptions.push({ subject, receive });
  }

  onStatus(listener: (up: boolean) => void): void {
    this.#status.push(listener);
  }

  /** The in-memory store is never lost, so there is nothing the bus mends or tells. */
  onWarning(): void {}

  /** Cuts this connection off the network (true: joins it again); its status listeners are told. */
  setUp(up: boolean): void {
    if (up === this.#up) return;
    this.#up = up;
    for (const listener of this.#status) listener(up);
  }

  /** @internal */
  receive(subject: string, data: Uint8Array): void {
    if (!this.#up || this.#closed || this.losing?.(subject)) return;
    for (const s of this.#subscriptions) if (subjectMatches(s.subject, subject)) s.receive(subject, data);
  }

  async close(): Promise<void> {
    await Promise.resolve();
    this.#closed = true;
    this.#network.disconnect(this);
  }

  #check(key: string): void {
    if (this.#closed) throw new BusError('the bus is closed');
    if (!this.#up) throw new BusError('the bus is out of reach');
    if (this.failing?.(key)) throw new BusError(`the request about ${key} timed out`);
  }
}

const allowed = (patterns: readonly string[] | undefined, subject: string): boolean =>
  patterns === undefined || patterns.some((pattern) => subjectMatches(pattern, subject));

function memoryClaims(network: MemoryNetwork, check: (key: string) => void): ClaimStore {
  return {
    create: async (key, value) => {
      check(key);
      if (network.entry(key)) throw new ClaimConflict(`key ${key} exists`);
      return network.write(key, value);
    },
    update: async (key, value, revision) => {
      check(key);
      if (network.entry(key)?.revision !== revision) throw new ClaimConflict(`key ${key} is not at ${revision}`);
      return network.write(key, value);
    },
    get: async (key) => {
      check(key);
      return network.entry(key)?.value;
    },
    keys: async (prefix) => {
      check(prefix);
      return network.keys(prefix);
    },
    purge: async (key, revision) => {
      check(key);
      if (network.entry(key)?.revision === revision) network.remove(key);
    },
  };
}
