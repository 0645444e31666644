// How long to stop accepting after accept() fails. The listener is watched
// level-triggered: retrying at once would spin while the cause (out of fds,
// out of memory) lasts. 100 ms, doubling to 5 s; back to none after an accept.

const FIRST_MS = 100;
const MAX_MS = 5000;

export class AcceptBackoff {
  #ms = 0;

  /** The pause before the next try, one step longer than the last. */
  next(): number {
    this.#ms = Math.min(MAX_MS, this.#ms === 0 ? FIRST_MS : this.#ms * 2);
    return this.#ms;
  }

  /** An accept worked: the next failure starts again from the first step. */
  reset(): void {
    this.#ms = 0;
  }
}
