// The seam between the cluster and NATS: what a node needs of a message bus
// (publish, subscribe, connection status) and of a key-value store (claims).
// NatsBus (nats.ts) is the real one; MemoryBus (memory-bus.ts) serves the unit
// tests and implements the same interface, as serialport's bindings do.

/** Called with each message on a subscribed subject (the subject it came on, its bytes). */
export type Receiver = (subject: string, data: Uint8Array) => void;

export interface ClusterBus {
  /** Sends without waiting; throws BusError when the bus is closed. */
  publish(subject: string, data: Uint8Array): void;
  /** Receives every message on `subject` (NATS wildcards `*` and `>`). */
  subscribe(subject: string, receive: Receiver): void;
  /** Told false when the bus loses its server, true when it is back. */
  onStatus(listener: (up: boolean) => void): void;
  /** Told what the bus mended by itself (a KV bucket made again), as a kind of trouble and a line. */
  onWarning(listener: (kind: string, line: string) => void): void;
  readonly claims: ClaimStore;
  readonly closed: boolean;
  /** Delivers what was published, then closes. */
  close(): Promise<void>;
}

/** Keys with revisions, each alive for the store's TTL unless updated. */
export interface ClaimStore {
  /** Makes `key` (its revision); ClaimConflict when it exists. */
  create(key: string, value: string): Promise<number>;
  /** Updates `key` at `revision` (its new revision); ClaimConflict when it changed or expired. */
  update(key: string, value: string, revision: number): Promise<number>;
  /** The value of `key`, if it exists. */
  get(key: string): Promise<string | undefined>;
  /** The keys that start with `prefix`. */
  keys(prefix: string): Promise<string[]>;
  /** Removes `key` if it is still at `revision`. */
  purge(key: string, revision: number): Promise<void>;
}

/** The store says the key is someone else's (not a lost connection). */
export class ClaimConflict extends Error {
  override name = 'ClaimConflict';
}

/** The bus is closed or refused an operation. */
export class BusError extends Error {
  override name = 'BusError';
}

/** Time, injected so that tests can move it by hand. */
export interface Clock {
  now(): number;
  setTimeout(run: () => void, ms: number): Timer;
  clearTimeout(timer: Timer | undefined): void;
}

export interface Timer {
  unref?(): unknown;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (run, ms) => setTimeout(run, ms),
  clearTimeout: (timer) => clearTimeout(timer as NodeJS.Timeout | undefined),
};

/** NATS subject matching: `*` is one token, `>` the rest (one or more tokens). */
export function subjectMatches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return s.length > i;
    if (i >= s.length || (p[i] !== '*' && p[i] !== s[i])) return false;
  }
  return p.length === s.length;
}
