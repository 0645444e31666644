// Delayed doorbells: kept in deadline order and let go by one timer set for
// the earliest deadline, so that any number of them costs one timer and a
// delayed doorbell never blocks anything else. Every entry whose deadline
// has come goes in the same turn. The queue is bounded: a peer ringing
// without pause over a slow link cannot grow it without end; what does not
// fit is dropped and counted.

/** Delayed doorbells held at most at once (default). */
export const DEFAULT_DELAY_LIMIT = 65536;

interface Entry {
  due: number;
  run: () => void;
}

export class DelayQueue {
  readonly #entries: Entry[] = [];
  readonly #now: () => number;
  readonly limit: number;
  #timer?: NodeJS.Timeout;
  #timerDue = Infinity;
  /** Entries refused because the queue was full. */
  dropped = 0;

  /** `now` in milliseconds (default performance.now); at most `limit` entries wait. */
  constructor(now: () => number = () => performance.now(), limit = DEFAULT_DELAY_LIMIT) {
    this.#now = now;
    this.limit = limit;
  }

  get size(): number {
    return this.#entries.length;
  }

  /**
   * Runs `run` after `us` microseconds (timers have about 1 ms resolution); false (and counted) when the queue is full.
   */
  add(us: number, run: () => void): boolean {
    if (this.#entries.length >= this.limit) {
      this.dropped++;
      return false;
    }
    const due = this.#now() + us / 1000;
    const entries = this.#entries;
    // Equal delays come in deadline order: appending is the common case.
    let at = entries.length;
    while (at > 0 && entries[at - 1]!.due > due) at--;
    entries.splice(at, 0, { due, run });
    if (due < this.#timerDue) this.#arm(due);
    return true;
  }

  /** Forgets every pending entry. */
  clear(): void {
    this.#entries.length = 0;
    this.#disarm();
  }

  #arm(due: number): void {
    this.#disarm();
    this.#timerDue = due;
    this.#timer = setTimeout(() => this.#fire(), Math.max(0, due - this.#now()));
  }

  #disarm(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerDue = Infinity;
  }

  #fire(): void {
    this.#timer = undefined;
    this.#timerDue = Infinity;
    const now = this.#now();
    let n = 0;
    while (n < this.#entries.length && this.#entries[n]!.due <= now) n++;
    const ready = this.#entries.splice(0, n);
    for (const entry of ready) entry.run();
    const next = this.#entries[0];
    if (next) this.#arm(next.due);
  }
}
