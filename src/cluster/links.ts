// The links from this host to the others, as the switched fabric's links:
// one per remote host (`host:NAME`), with the same faults (down, latency,
// drop, rate) and counters. A fault set here acts on this host's side: on
// what it sends over the link and what it takes from it.
import { EventEmitter } from 'node:events';
import { FaultError, FaultState, checkChange, type FaultChange } from '../switching/faults.js';
import type { LinkCounters } from '../switching/router.js';
import { TokenBucket } from '../switching/token-bucket.js';
import type { Directed } from './wire.js';

export const HOST_LINK_PREFIX = 'host:';

export function hostLinkName(node: string): string {
  return `${HOST_LINK_PREFIX}${node}`;
}

const zero = (): LinkCounters => ({ forwarded: 0, dropped: 0, delayed: 0, messages: 0, bytes: 0 });

export class HostLinks extends EventEmitter<{ fault: [FaultChange] }> {
  readonly faults = new FaultState();
  readonly #counters = new Map<string, LinkCounters>();
  readonly #buckets = new Map<string, TokenBucket>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #changes = 0;

  /** The links to the hosts given (every known one has counters, even at zero). */
  counters(link: string): LinkCounters {
    let counters = this.#counters.get(link);
    if (!counters) this.#counters.set(link, counters = zero());
    return counters;
  }

  get faultChanges(): number {
    return this.#changes;
  }

  /** Applies a change to one of `links` (or clears all) and returns it as applied; throws FaultError naming the links there are. */
  apply(change: FaultChange, links: readonly string[]): FaultChange {
    checkChange(change);
    if ((change.kind !== 'clear' || change.link !== undefined) && !links.includes(change.link!)) {
      throw new FaultError(`no link ${change.link}: the links to other hosts are ${links.join(', ') || 'none (no other host has joined)'}`);
    }
    if (change.kind === 'rate') this.#buckets.delete(change.link);
    this.faults.apply(change);
    this.#changes++;
    this.emit('fault', change);
    return change;
  }

  /** Passes `message` across `link` through its faults: `deliver` runs now, later, or never. */
  pass(link: string, message: Directed, deliver: () => void): void {
    const counters = this.counters(link);
    const faults = this.faults.get(link);
    if (faults?.down || (faults?.dropProbability !== undefined && Math.random() < faults.dropProbability) || !this.#withinRate(link)) {
      counters.dropped++;
      return;
    }
    counters.forwarded += message.t === 'ring' ? message.count : 1;
    if (message.t === 'msg') {
      counters.messages++;
      counters.bytes += Buffer.byteLength(message.text);
    }
    if (!faults?.addedUs) return deliver();
    counters.delayed++;
    const timer = setTimeout(() => { this.#timers.delete(timer); deliver(); }, faults.addedUs / 1000);
    this.#timers.add(timer);
  }

  close(): void {
    this.#timers.forEach(clearTimeout);
    this.#timers.clear();
  }

  #withinRate(link: string): boolean {
    const rate = this.faults.get(link)?.rate;
    if (!rate) return true;
    const now = performance.now();
    let bucket = this.#buckets.get(link);
    if (!bucket) this.#buckets.set(link, bucket = new TokenBucket(rate.perSecond, rate.burst, now));
    return bucket.take(1, now) === 1;
  }
}
