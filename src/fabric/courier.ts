// The switch's outbox. It owns one slot, so its messages leave one at a time:
// each waits until the previous receiver has handed the slot back. Nothing
// sleeps: the slot is checked when a doorbell arrives and on a short timer
// while a message is out, and a receiver that keeps it past the timeout has
// it taken back.
import { TimeoutError } from '../mailbox/slot-timeout.js';

/** The switch's slot, as the courier uses it. */
export interface OutboxSlot {
  /** The receiver has handed the slot back. */
  isFree(): boolean;
  /** Writes the message into the slot and rings the receiver. */
  deliver(to: number, text: string): void;
  /** Takes the slot back from a receiver that did not hand it back. */
  takeBack(): void;
}

export interface Letter {
  to: number;
  text: string;
  /** Called once: without an error when the receiver took it. */
  done?: (error?: Error) => void;
}

export interface CourierOptions {
  /** How long a receiver may keep the slot (default 1000 ms, as FAME-Z). */
  timeoutMs?: number;
  /** Letters that may wait for one receiver; more are refused (default 16). */
  maxQueuedPerPort?: number;
  /** A receiver kept the slot past the timeout. */
  onTimeout?: (to: number) => void;
}

export class Courier {
  readonly #slot: OutboxSlot;
  readonly #timeoutMs: number;
  readonly #maxQueued: number;
  readonly #onTimeout: (to: number) => void;
  readonly #queue: Letter[] = [];
  /** Letters queued or out, per receiver. An entry at 0 stays: deleting it made V8 shrink the map, a call
   *  into its runtime for every letter (message path); receivers are port ids, so the map stays small. */
  readonly #queuedFor = new Map<number, number>();
  /** The letter in the slot. */
  #out?: Letter;
  /** When a look first found its receiver still holding the slot (-1: none has yet): the timeout runs
   *  from there, at most a timer tick (1 ms) after the delivery; no clock read for a letter taken at once. */
  #since = -1;
  #timer?: NodeJS.Timeout;
  #delay = 1;
  /** The delay the running timer was set with. */
  #armed = 0;
  #closed = false;

  constructor(slot: OutboxSlot, options: CourierOptions = {}) {
    this.#slot = slot;
    this.#timeoutMs = options.timeoutMs ?? 1000;
    this.#maxQueued = options.maxQueuedPerPort ?? 16;
    this.#onTimeout = options.onTimeout ?? (() => {});
  }

  /** The receiver of the letter out, if one is. */
  get outTo(): number | undefined {
    return this.#out?.to;
  }

  /** Letters waiting, the one out included. */
  get pending(): number {
    return this.#queue.length + (this.#out ? 1 : 0);
  }

  /**
   * Queues a letter: false (and nothing queued) when too many already wait for its receiver. After close() it fails at
   * once.
   */
  send(letter: Letter): boolean {
    if (this.#closed) {
      letter.done?.(new Error('the fabric closed'));
      return true;
    }
    const queued = this.#queuedFor.get(letter.to) ?? 0;
    if (queued >= this.#maxQueued) return false;
    this.#queuedFor.set(letter.to, queued + 1);
    this.#queue.push(letter);
    this.poke();
    return true;
  }

  /** Checks the slot now: call when something may have changed (a doorbell came in). */
  poke(): void {
    if (this.#out) {
      if (this.#slot.isFree()) {
        this.#finish();
      } else if (this.#held() >= this.#timeoutMs) {
        const letter = this.#out;
        this.#slot.takeBack();
        this.#finish(
          new TimeoutError(`peer ${letter.to} did not take the message within ${this.#timeoutMs} ms: slot taken back`),
        );
        this.#onTimeout(letter.to);
      } else {
        this.#wait();
        return;
      }
    }
    const letter = this.#queue.shift();
    if (!letter) return;
    this.#out = letter;
    this.#since = -1;
    this.#delay = 1;
    // A timer left from a slow receiver would look at this letter late: set a new one.
    if (this.#armed > 1) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    this.#slot.deliver(letter.to, letter.text);
    this.#wait();
  }

  /** Letters for `to` fail, the one out included (the port is gone). */
  drop(to: number, reason: string): void {
    if (this.#out?.to === to) {
      this.#slot.takeBack();
      this.#finish(new Error(reason));
      queueMicrotask(() => this.poke());
    }
    const dropped = this.#queue.filter((letter) => letter.to === to);
    this.#queue.splice(0, this.#queue.length, ...this.#queue.filter((letter) => letter.to !== to));
    for (const letter of dropped) this.#settle(letter, new Error(reason));
  }

  /** Fails everything waiting and stops the timer. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const letter of this.#queue.splice(0)) this.#settle(letter, new Error('the fabric closed'));
    if (this.#out) this.#finish(new Error('the fabric closed'));
  }

  #finish(error?: Error): void {
    const letter = this.#out!;
    this.#out = undefined;
    // The timer is left to run out (a look at an empty outbox): clearing it and setting a new one
    // for every letter cost more than one spare look a millisecond.
    this.#settle(letter, error);
  }

  #settle(letter: Letter, error?: Error): void {
    this.#queuedFor.set(letter.to, Math.max((this.#queuedFor.get(letter.to) ?? 1) - 1, 0));
    letter.done?.(error);
  }

  /** How long the receiver has held the slot, counted from the first look that found it held. */
  #held(): number {
    const now = performance.now();
    if (this.#since < 0) this.#since = now;
    return now - this.#since;
  }

  /** Looks again soon, less often the longer the receiver takes (1, 2, 4 .. 16 ms). */
  #wait(): void {
    if (this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.poke();
    }, this.#delay);
    this.#armed = this.#delay;
    this.#delay = Math.min(this.#delay * 2, 16);
  }
}
