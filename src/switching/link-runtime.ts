// A link as the Router keeps it while doorbells cross it: its counters, the
// faults in effect and the token bucket of its rate limit; and what a
// doorbell loses crossing a route of such links (pure but for the PRNG).
import type { LinkFaults } from './faults.js';
import { survivors } from './prng.js';
import type { LinkCounters } from './router-types.js';
import { TokenBucket } from './token-bucket.js';

export interface LinkRuntime {
  readonly name: string;
  readonly latencyUs: number;
  readonly counters: LinkCounters;
  faults?: LinkFaults;
  bucket?: TokenBucket;
}

export interface Route {
  /** Links crossed: the sender's own, the switch links, the receiver's own. */
  links: LinkRuntime[];
  baseUs: number;
  /** No path: every ring is lost (counted on `links[0]` when there is one). */
  unreachable?: string;
}

/** What crossing a route left of a doorbell's rings. */
export interface Crossing {
  passed: number;
  /** Links reached: all of them when any ring passed, else up to the one that lost the last. */
  crossed: number;
  addedUs: number;
  reason?: string;
}

/** No fault in effect (a link whose faults were cleared keeps an empty record). */
export const isClear = (faults: LinkFaults): boolean =>
  !faults.down && !faults.addedUs && !faults.dropProbability && !faults.rate;

export const newLink = (name: string, latencyUs: number): LinkRuntime => ({
  name,
  latencyUs,
  counters: { forwarded: 0, dropped: 0, delayed: 0, messages: 0, bytes: 0 },
});

/** Takes a link's faults, keeping its bucket while the rate is the same. */
export function setFaults(link: LinkRuntime, faults: LinkFaults | undefined, now: () => number): void {
  link.faults = faults;
  const rate = faults?.rate;
  if (!rate) link.bucket = undefined;
  else if (link.bucket?.perSecond !== rate.perSecond || link.bucket.burst !== rate.burst)
    link.bucket = new TokenBucket(rate.perSecond, rate.burst, now());
}

/** `count` rings cross the route link by link: each link's faults may lose some or add latency; losses are counted. */
export function cross(route: Route, count: number, random: () => number, now: () => number): Crossing {
  let passed = count;
  let reason = route.unreachable;
  let crossed = route.links.length;
  let addedUs = 0;
  if (reason) {
    passed = 0;
    crossed = 0;
    route.links[0]!.counters.dropped += count;
  }
  for (let i = 0; i < crossed && passed > 0; i++) {
    const link = route.links[i]!;
    const faults = link.faults;
    if (!faults) continue;
    const before = passed;
    if (faults.down) {
      passed = 0;
      reason = `link ${link.name} is down`;
    } else {
      if (faults.dropProbability) passed = survivors(passed, 1 - faults.dropProbability, random);
      if (link.bucket && passed > 0) passed = link.bucket.take(passed, now());
      addedUs += faults.addedUs ?? 0;
      if (passed < before) reason = `lost on link ${link.name}`;
    }
    link.counters.dropped += before - passed;
    if (passed === 0) crossed = i + 1;
  }
  return { passed, crossed, addedUs, reason };
}
