// Switched doorbells: for every (sender, receiver) pair an eventfd per vector
// that the server creates, hands the sender as the receiver's doorbell and
// watches itself. A ring on one reaches `onRing`; the server decides what the
// receiver gets. Fds are created here and handed over to the server's
// reference counting (`hand`, `letGo`), which closes them once no queued
// message carries them.
import * as sys from '../sys/index.js';

interface Line {
  readonly fds: sys.Fd[];
  readonly watchers: sys.Watcher[];
}

export interface SwitchboardHooks {
  onRing(from: number, to: number, vector: number, count: number): void;
  hand(fd: sys.Fd): void;
  letGo(fd: sys.Fd): void;
}

export class Switchboard {
  readonly vectors: number;
  readonly #hooks: SwitchboardHooks;
  /** by sender, then receiver */
  readonly #lines = new Map<number, Map<number, Line>>();

  constructor(vectors: number, hooks: SwitchboardHooks) {
    this.vectors = vectors;
    this.#hooks = hooks;
  }

  /** The eventfds `from` rings to reach `to` (made on first use; throws when fds run out). */
  line(from: number, to: number): readonly sys.Fd[] {
    let byReceiver = this.#lines.get(from);
    const existing = byReceiver?.get(to);
    if (existing) return existing.fds;
    const fds = sys.createEventfds(this.vectors);
    const watchers = fds.map((fd, vector) => sys.Watcher.eventfd(fd, (count) => this.#hooks.onRing(from, to, vector, count)));
    fds.forEach((fd) => this.#hooks.hand(fd));
    if (!byReceiver) this.#lines.set(from, byReceiver = new Map());
    byReceiver.set(to, { fds, watchers });
    return fds;
  }

  /** Lines `from` rings (its process is gone). */
  dropFrom(from: number): void {
    for (const line of this.#lines.get(from)?.values() ?? []) this.#release(line);
    this.#lines.delete(from);
  }

  /** Lines that reach `to` (nobody will be told of it again). */
  dropTo(to: number): void {
    for (const byReceiver of this.#lines.values()) {
      const line = byReceiver.get(to);
      if (!line) continue;
      this.#release(line);
      byReceiver.delete(to);
    }
  }

  /** Every line: the watchers stop before the fds are let go. */
  close(): void {
    for (const from of [...this.#lines.keys()]) this.dropFrom(from);
  }

  /** Lines held now (for tests and counts). */
  get size(): number {
    let n = 0;
    for (const byReceiver of this.#lines.values()) n += byReceiver.size;
    return n;
  }

  #release(line: Line): void {
    line.watchers.forEach((watcher) => watcher.close());
    line.fds.forEach((fd) => this.#hooks.letGo(fd));
  }
}
