// A clock the test moves by hand: timers run when advance() passes their time.
import type { Clock, Timer } from '../../src/cluster/bus.js';

interface Pending extends Timer {
  at: number;
  run: () => void;
  cancelled: boolean;
}

export class ManualClock implements Clock {
  #now = 0;
  #timers: Pending[] = [];

  now(): number {
    return this.#now;
  }

  setTimeout(run: () => void, ms: number): Timer {
    const timer: Pending = { at: this.#now + Math.max(0, ms), run, cancelled: false };
    this.#timers.push(timer);
    return timer;
  }

  clearTimeout(timer: Timer | undefined): void {
    if (timer) (timer as Pending).cancelled = true;
  }

  /** Moves time on by `ms`, running every timer that falls due, in order. */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      const due = this.#timers.filter((t) => !t.cancelled && t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.#now = due.at;
      due.cancelled = true;
      due.run();
    }
    this.#timers = this.#timers.filter((t) => !t.cancelled);
    this.#now = end;
  }
}

/** Lets the memory bus's deliveries and the checks they start run. */
export async function settle(turns = 20): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((resolve) => setImmediate(resolve));
}
