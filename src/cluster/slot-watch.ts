// Watches slots written for remote senders until the local receiver hands
// them back (sets buflen to 0; it rings nobody), then reports it once. Nothing
// sleeps: every slot is looked at when any local peer rings anyone (a receiver
// that answers rings after handing the slot back), and on one timer for all
// the slots. The timer looks after 1 ms while it is what finds hand-backs (a
// receiver that answers nobody); while the rings find them it slows down, to
// 16 ms, since each of its ticks is a wake-up of the fabric. It is left to run
// out rather than cleared when nothing is watched, so steady traffic arms it
// once a tick, not once a message.
import type { Mailbox } from '../mailbox/index.js';
import { systemClock, type Clock, type Timer } from './bus.js';

const FAST_MS = 1;
const SLOW_MS = 16;

export class SlotWatch {
  readonly #watching = new Map<number, { seq: number; since: number }>();
  #timer?: Timer;
  #delay = FAST_MS;

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
    this.#timer ??= this.clock.setTimeout(() => this.#tick(), this.#delay);
  }

  /** Looks at every watched slot now (a local peer rang someone). */
  poke(): void {
    this.#look();
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
    // Found here, a hand-back no ring showed: look again soon. Nothing found: the rings are doing it.
    this.#delay = this.#look() > 0 ? FAST_MS : Math.min(this.#delay * 2, SLOW_MS);
    if (this.#watching.size > 0) this.#timer = this.clock.setTimeout(() => this.#tick(), this.#delay);
  }

  /** Looks at every watched slot: how many were handed back. */
  #look(): number {
    let taken = 0;
    for (const [slot, watched] of this.#watching) if (this.#check(slot, watched)) taken++;
    return taken;
  }

  /** True when `slot` was handed back (and is reported). */
  #check(slot: number, watched: { seq: number; since: number }): boolean {
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
    return free;
  }
}
