// Watches slots written for remote senders until the local receiver hands
// them back (sets buflen to 0; it rings nobody), then reports it once. Nothing
// sleeps: every slot is looked at when the receiver rings anyone (an answer
// comes after the slot is handed back), and on one timer for all the slots:
// every millisecond while one was written in the last 20 ms (a receiver
// usually takes at once), then less often. The timer is left to run out rather
// than cleared when nothing is watched, so that steady traffic arms it about
// once a millisecond, not once a message.
import type { Mailbox } from '../mailbox/index.js';
import { systemClock, type Clock, type Timer } from './bus.js';

const YOUNG_MS = 20;
const SLOW_MS = 16;

export class SlotWatch {
  readonly #watching = new Map<number, { seq: number; since: number }>();
  #timer?: Timer;

  constructor(
    private readonly mailbox: Pick<Mailbox, 'isFree'>,
    /** After this long the receiver is not waited for any more (its sender timed out long ago). */
    private readonly giveUpMs: number,
    private readonly taken: (slot: number, seq: number) => void,
    private readonly clock: Clock = systemClock,
  ) {}

  /** Watches `slot` for message `seq` (a newer message replaces an older one). */
  start(slot: number, seq: number): void {
    this.#watching.set(slot, { seq, since: this.clock.now() });
    this.#timer ??= this.clock.setTimeout(() => this.#tick(), 1);
  }

  /** Looks at every watched slot now (a local peer rang someone). */
  poke(): void {
    for (const [slot, watched] of this.#watching) this.#check(slot, watched);
  }

  stop(slot: number): void {
    this.#watching.delete(slot);
  }

  close(): void {
    this.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#watching.clear();
  }

  #tick(): void {
    this.#timer = undefined;
    this.poke();
    const now = this.clock.now();
    let youngest = Infinity;
    for (const { since } of this.#watching.values()) youngest = Math.min(youngest, now - since);
    if (youngest !== Infinity)
      this.#timer = this.clock.setTimeout(() => this.#tick(), youngest < YOUNG_MS ? 1 : SLOW_MS);
  }

  #check(slot: number, watched: { seq: number; since: number }): void {
    let free: boolean;
    try {
      free = this.mailbox.isFree(slot);
    } catch {
      free = false; // the mailbox is closing
    }
    if (free) {
      this.#watching.delete(slot);
      this.taken(slot, watched.seq);
    } else if (this.clock.now() - watched.since > this.giveUpMs) {
      this.#watching.delete(slot);
    }
  }
}
