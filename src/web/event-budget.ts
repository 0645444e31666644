// Events that come with the traffic (messages to and from the switch,
// doorbell traces) pass the stream at most `perSecond` a second; the rest are
// counted, not sent. A fabric busy at 100k messages/s would otherwise write
// megabytes a second to every client and slow itself down. Joins, leaves,
// link changes, faults and warnings always pass.
import type { SourceEvent } from './model.js';

const BUSY: ReadonlySet<SourceEvent['type']> = new Set(['message', 'sent', 'trace']);

export class EventBudget {
  /** Busy events not streamed because the second's budget was spent. */
  skipped = 0;
  readonly #perSecond: number;
  readonly #now: () => number;
  #windowStart = -Infinity;
  #left = 0;

  constructor(perSecond = 100, now: () => number = () => performance.now()) {
    this.#perSecond = perSecond;
    this.#now = now;
  }

  allows(event: SourceEvent): boolean {
    if (!BUSY.has(event.type)) return true;
    if (this.#left === 0) {
      const now = this.#now();
      if (now - this.#windowStart < 1000) {
        this.skipped++;
        return false;
      }
      this.#windowStart = now;
      this.#left = this.#perSecond;
    }
    this.#left--;
    return true;
  }
}
