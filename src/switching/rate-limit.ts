// Log lines about a misbehaving peer, at most one per key per interval, with
// a count of what was left out. A flood costs a counter, not a log line.

export class RateLimitedLog {
  readonly #intervalMs: number;
  readonly #write: (text: string, withoutText?: string) => void;
  readonly #now: () => number;
  readonly #last = new Map<string, { at: number; suppressed: number }>();

  constructor(
    write: (text: string, withoutText?: string) => void,
    intervalMs = 1000,
    now: () => number = () => performance.now(),
  ) {
    this.#write = write;
    this.#intervalMs = intervalMs;
    this.#now = now;
  }

  /**
   * Writes `text` unless a line with the same key was written less than an
   * interval ago: whether it was written. `withoutText`: the same line without
   * the message text it quotes, passed on beside it.
   */
  log(key: string, text: string, withoutText?: string): boolean {
    const now = this.#now();
    const last = this.#last.get(key);
    if (last && now - last.at < this.#intervalMs) {
      last.suppressed++;
      return false;
    }
    const more = last?.suppressed ? ` (${last.suppressed} more like it since the last)` : '';
    this.#last.set(key, { at: now, suppressed: 0 });
    if (this.#last.size > 4096) this.#last.delete(this.#last.keys().next().value!);
    this.#write(text + more, withoutText === undefined ? undefined : withoutText + more);
    return true;
  }
}
