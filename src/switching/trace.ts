// A trace subscription with bounded buffering: a reader that falls behind
// loses the oldest entries (counted in `lost`), never the forwarder's time
// or memory.

export class TraceSubscription<T> implements AsyncIterableIterator<T> {
  readonly limit: number;
  /** Entries dropped because the reader fell behind. */
  lost = 0;
  readonly #buffer: T[] = [];
  readonly #onClose: () => void;
  #waiting?: (result: IteratorResult<T>) => void;
  #closed = false;

  constructor(limit: number, onClose: () => void) {
    if (!Number.isInteger(limit) || limit < 1)
      throw new RangeError(`a trace buffer holds at least 1 entry, not ${limit}`);
    this.limit = limit;
    this.#onClose = onClose;
  }

  /** Called by the producer. */
  push(entry: T): void {
    if (this.#closed) return;
    if (this.#waiting) {
      const resolve = this.#waiting;
      this.#waiting = undefined;
      resolve({ value: entry, done: false });
      return;
    }
    if (this.#buffer.length >= this.limit) {
      this.#buffer.shift();
      this.lost++;
    }
    this.#buffer.push(entry);
  }

  next(): Promise<IteratorResult<T>> {
    if (this.#buffer.length > 0) return Promise.resolve({ value: this.#buffer.shift()!, done: false });
    if (this.#closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.#waiting = resolve;
    });
  }

  /** Ends the subscription (also when a for-await loop breaks). */
  return(): Promise<IteratorResult<T>> {
    if (!this.#closed) {
      this.#closed = true;
      this.#buffer.length = 0;
      this.#onClose();
      this.#waiting?.({ value: undefined, done: true });
      this.#waiting = undefined;
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
