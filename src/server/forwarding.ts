// What a switched server asks before it passes a doorbell on: the pluggable
// forwarding policy. The server knows nothing of topologies or faults; a
// policy (the fabric's router, a test's stub) decides each doorbell.

/** A doorbell a sender rang on the eventfd the server gave it for (receiver, vector). */
export interface SwitchedDoorbell {
  from: number;
  to: number;
  vector: number;
  /** Rings since the server last looked (an eventfd counts). */
  count: number;
}

/**
 * deliver: ring the receiver now; delay: ring it after `us` microseconds;
 * drop: nothing arrives. `count` (default: all of them) is how many of the
 * rings pass; the rest are dropped.
 */
export type Verdict =
  | { kind: 'deliver'; count?: number }
  | { kind: 'delay'; us: number; count?: number }
  | { kind: 'drop' };

export interface ForwardingPolicy {
  forward(doorbell: SwitchedDoorbell): Verdict;
  /**
   * Optional fast path: true when every doorbell from `from` to `to` passes at
   * once and needs no look of its own (no fault, no latency, no trace). The
   * server then passes them in the addon without calling forward() and
   * reports them in bulk through passed().
   */
  bypasses?(from: number, to: number): boolean;
  /** Doorbells that passed without forward(), in bulk. */
  passed?(doorbell: SwitchedDoorbell): void;
  /** Doorbells forward() delayed that the server dropped: its delay queue was full. */
  overflowed?(doorbell: SwitchedDoorbell): void;
  /**
   * The server's side of the fast path: `report` sends passed() what went by
   * so far (call it before reading counters or changing a route), `refresh`
   * asks bypasses() again for every pair (call it after a change).
   */
  attach?(server: ForwardingServer): void;
}

export interface ForwardingServer {
  report(): void;
  refresh(): void;
}

/** Every doorbell passes at once: switching without a fabric. */
export const DELIVER_ALL: ForwardingPolicy = { forward: () => ({ kind: 'deliver' }) };
