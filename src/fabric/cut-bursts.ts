// What the fabric says about cuts of its mailbox. They come one at a time or
// in a flood (a peer may cut and regrow it in a loop, thousands of times a
// second): one line when a burst starts, at most one about a failed repair,
// and one once it has been quiet for a while saying how many more cuts came.
// A flood costs a counter, not a line per cut.

/** How long without a new cut ends a burst. */
export const QUIET_MS = 1000;

interface Burst {
  more: number;
  smallest: number;
  startedAt: number;
  lastAt: number;
  failed: boolean;
}

export class CutBursts {
  readonly #path: string;
  readonly #say: (line: string) => void;
  readonly #now: () => number;
  #burst?: Burst;

  constructor(path: string, say: (line: string) => void, now: () => number = () => performance.now()) {
    this.#path = path;
    this.#say = say;
    this.#now = now;
  }

  /** Whether a burst is on (it has not been quiet long enough, or the mailbox is not whole yet). */
  get active(): boolean {
    return this.#burst !== undefined;
  }

  /** A new cut, `what` happened to the file (its line if it starts a burst), `size` bytes when noticed. */
  cut(what: string, size: number, restore: string): void {
    const now = this.#now();
    const burst = this.#burst;
    if (burst) {
      burst.more++;
      burst.smallest = Math.min(burst.smallest, size);
      burst.lastAt = now;
      return;
    }
    this.#burst = { more: 0, smallest: size, startedAt: now, lastAt: now, failed: false };
    this.#say(`mailbox ${this.#path} ${what} by a peer or another process: ${restore}; messages in flight are lost`);
  }

  /** A repair that failed for another reason than a new cut: said once a burst. */
  failed(reason: string): void {
    if (!this.#burst || this.#burst.failed) return;
    this.#burst.failed = true;
    this.#say(`mailbox ${this.#path} cannot be restored yet (${reason}): famez retries until it can`);
  }

  /** Ends the burst once it has been quiet long enough and the mailbox is whole: whether it ended. */
  settle(whole: boolean): boolean {
    const burst = this.#burst;
    if (!burst || !whole || this.#now() - burst.lastAt < QUIET_MS) return false;
    this.#burst = undefined;
    if (burst.more > 0 || burst.failed) {
      const seconds = ((burst.lastAt - burst.startedAt) / 1000).toFixed(1);
      this.#say(
        `mailbox ${this.#path} cut ${burst.more} more time${burst.more === 1 ? '' : 's'} in ${seconds} s ` +
          `(down to ${burst.smallest} bytes), restored each time: whole again`,
      );
    }
    return true;
  }
}
