// A rate limit as a token bucket: `perSecond` tokens a second, at most
// `burst` saved up. Time is given, so it is pure and testable.
export class TokenBucket {
  readonly perSecond: number;
  readonly burst: number;
  #tokens: number;
  #last: number;

  constructor(perSecond: number, burst: number, nowMs: number) {
    this.perSecond = perSecond;
    this.burst = burst;
    this.#tokens = burst;
    this.#last = nowMs;
  }

  /** Takes up to `wanted` tokens at `nowMs`: how many were granted. */
  take(wanted: number, nowMs: number): number {
    this.#tokens = Math.min(this.burst, this.#tokens + ((nowMs - this.#last) / 1000) * this.perSecond);
    this.#last = nowMs;
    const granted = Math.min(wanted, Math.floor(this.#tokens));
    this.#tokens -= granted;
    return granted;
  }
}
