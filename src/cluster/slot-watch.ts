// Watches slots written for remote senders until the local receiver hands
// them back (sets buflen to 0; it rings nobody), then reports it once. Nothing
// sleeps: each slot is looked at when the receiver rings anyone (an answer
// comes after the slot is handed back) and on a short timer per slot, slower
// the longer the receiver takes.
import type { Mailbox } from '../mailbox/index.js';
import { systemClock, type Clock, type Timer } from './bus.js';

export class SlotWatch {
  readonly #watching = new Map<number, { seq: number; since: number; delay: number; timer: Timer }>();

  constructor(
    private readonly mailbox: Pick<Mailbox, 'isFree'>,
    /** After this long the receiver is not waited for any more (its sender timed out long ago). */
    private readonly giveUpMs: number,
    private readonly taken: (slot: number, seq: number) => void,
    private readonly clock: Clock = systemClock,
  ) {}

  /** Watches `slot` for message `seq` (a newer message replaces an older one). */
  start(slot: number, seq: number): void {
    this.stop(slot);
    this.#schedule(slot, seq, this.clock.now(), 0);
  }

  /** Looks at every watched slot now (a local peer rang someone). */
  poke(): void {
    for (const slot of [...this.#watching.keys()]) this.#check(slot);
  }

  stop(slot: number): void {
    const watched = this.#watching.get(slot);
    if (watched) this.clock.clearTimeout(watched.timer);
    this.#watching.delete(slot);
  }

  close(): void {
    for (const slot of [...this.#watching.keys()]) this.stop(slot);
  }

  #schedule(slot: number, seq: number, since: number, delay: number): void {
    const timer = this.clock.setTimeout(() => this.#check(slot), delay);
    this.#watching.set(slot, { seq, since, delay, timer });
  }

  #check(slot: number): void {
    const watched = this.#watching.get(slot);
    if (!watched) return;
    this.clock.clearTimeout(watched.timer);
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
    } else {
      // Every millisecond at first (a receiver usually takes at once), then less often.
      const young = this.clock.now() - watched.since < 20;
      this.#schedule(slot, watched.seq, watched.since, young ? 1 : Math.min(watched.delay * 2, 16));
    }
  }
}
