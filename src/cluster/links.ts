// The cluster's links as the switched fabric's links: one per remote host
// (`host:NAME`) and each peer's own link (`peer:ID`), with the same faults
// (down, latency, drop, rate) and counters. Every node keeps the faults of
// the whole cluster (a change is told to all of them), but each crossing is
// faulted once: a host link by the node that sends over it, a peer's link by
// the peer's own node.
import { EventEmitter } from 'node:events';
import { FaultError, FaultState, checkChange, type FaultChange } from '../switching/faults.js';
import type { LinkCounters } from '../switching/router.js';
import { TokenBucket } from '../switching/token-bucket.js';
import { systemClock, type Clock, type Timer } from './bus.js';
import type { Directed } from './wire.js';

export const HOST_LINK_PREFIX = 'host:';

export function hostLinkName(node: string): string {
  return `${HOST_LINK_PREFIX}${node}`;
}

/** A link to another host (not a peer's own, nor every link: undefined). */
export function isHostLink(link: string | undefined): boolean {
  return link?.startsWith(HOST_LINK_PREFIX) === true;
}

/** The links a crossing passes: those whose faults act on it here, and those that only count it. */
export interface Crossing {
  faulted: readonly string[];
  counted?: readonly string[];
}

const zero = (): LinkCounters => ({ forwarded: 0, dropped: 0, delayed: 0, messages: 0, bytes: 0 });

export class HostLinks extends EventEmitter<{ fault: [FaultChange] }> {
  readonly faults = new FaultState();
  readonly #counters = new Map<string, LinkCounters>();
  readonly #buckets = new Map<string, TokenBucket>();
  readonly #timers = new Set<Timer>();
  readonly #clock: Clock;
  #changes = 0;

  constructor(clock: Clock = systemClock) {
    super();
    this.#clock = clock;
  }

  /** A link's counters (every link has them, even at zero). */
  counters(link: string): LinkCounters {
    let counters = this.#counters.get(link);
    if (!counters) this.#counters.set(link, (counters = zero()));
    return counters;
  }

  get faultChanges(): number {
    return this.#changes;
  }

  /**
   * Applies a change to one of `links` (or clears all) and returns it as applied; throws FaultError naming the links
   * there are.
   */
  apply(change: FaultChange, links: readonly string[]): FaultChange {
    checkChange(change);
    if ((change.kind !== 'clear' || change.link !== undefined) && !links.includes(change.link!)) {
      throw new FaultError(
        `no link ${change.link}: the cluster's links are ${links.join(', ') || 'none (no other host has joined)'}`,
      );
    }
    return this.record(change);
  }

  /** Applies a change another node made (already checked, and named as this node sees it). */
  record(change: FaultChange): FaultChange {
    if (change.kind === 'rate' || change.kind === 'clear') {
      if (change.link === undefined) this.#buckets.clear();
      else this.#buckets.delete(change.link);
    }
    this.faults.apply(change);
    this.#changes++;
    this.emit('fault', change);
    return change;
  }

  /** Passes `message` through a crossing's faults: `deliver` runs now, later, or never. */
  pass(crossing: Crossing, message: Directed, deliver: () => void): void {
    let addedUs = 0;
    for (const link of crossing.faulted) {
      const faults = this.faults.get(link);
      if (
        faults?.down ||
        (faults?.dropProbability !== undefined && Math.random() < faults.dropProbability) ||
        !this.#withinRate(link)
      ) {
        this.counters(link).dropped++;
        return;
      }
      addedUs += faults?.addedUs ?? 0;
    }
    const count = (link: string): void => {
      const counters = this.counters(link);
      counters.forwarded += message.t === 'ring' ? message.count : 1;
      if (message.t === 'msg') {
        counters.messages++;
        counters.bytes += Buffer.byteLength(message.text);
      }
      if (addedUs > 0) counters.delayed++;
    };
    crossing.faulted.forEach(count);
    crossing.counted?.forEach(count);
    if (addedUs === 0) return deliver();
    const timer = this.#clock.setTimeout(() => {
      this.#timers.delete(timer);
      deliver();
    }, addedUs / 1000);
    this.#timers.add(timer);
  }

  /** A link that is gone (its host left): its counters, rate and faults go with it. */
  forget(link: string): void {
    this.#counters.delete(link);
    this.#buckets.delete(link);
    this.faults.apply({ kind: 'clear', link });
  }

  close(): void {
    this.#timers.forEach((timer) => this.#clock.clearTimeout(timer));
    this.#timers.clear();
  }

  #withinRate(link: string): boolean {
    const rate = this.faults.get(link)?.rate;
    if (!rate) return true;
    const now = this.#clock.now();
    let bucket = this.#buckets.get(link);
    if (!bucket) this.#buckets.set(link, (bucket = new TokenBucket(rate.perSecond, rate.burst, now)));
    return bucket.take(1, now) === 1;
  }
}
