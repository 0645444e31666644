// Switched doorbells: for every (sender, receiver) pair an eventfd per vector
// that the server creates, hands the sender as the receiver's doorbell and
// watches itself. A ring on one reaches `onRing`; the server decides what the
// receiver gets. Fds are created here and handed over to the server's
// reference counting (`hand`, `letGo`), which closes them once no queued
// message carries them.
import * as sys from '../sys/index.js';

interface Line {
  readonly from: number;
  readonly to: number;
  readonly fds: sys.Fd[];
  readonly watchers: sys.Watcher[];
}

export interface SwitchboardHooks {
  onRing(from: number, to: number, vector: number, count: number): void;
  /** The eventfd rings of a line may go to straight, in the addon (undefined: each ring to onRing). */
  relayTarget(from: number, to: number, vector: number): sys.Fd | undefined;
  /** Rings that went straight, reported in bulk. */
  relayed(from: number, to: number, vector: number, count: number): void;
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
    const watchers: sys.Watcher[] = [];
    try {
      fds.forEach((fd, vector) =>
        watchers.push(sys.Watcher.eventfd(fd, (count) => this.#hooks.onRing(from, to, vector, count))),
      );
    } catch (error) {
      // Half a line is no line: what was made goes.
      watchers.forEach((watcher) => watcher.close());
      fds.forEach(sys.close);
      throw error;
    }
    fds.forEach((fd) => this.#hooks.hand(fd));
    if (!byReceiver) this.#lines.set(from, (byReceiver = new Map()));
    const line = { from, to, fds, watchers };
    byReceiver.set(to, line);
    this.#relay(line);
    return fds;
  }

  /** Asks again, for every line, whether its rings go straight to the receiver. */
  refresh(): void {
    for (const byReceiver of this.#lines.values()) for (const line of byReceiver.values()) this.#relay(line);
  }

  /** Asks again for the lines that reach `to` (its doorbells have just come to be). */
  refreshTo(to: number): void {
    for (const byReceiver of this.#lines.values()) {
      const line = byReceiver.get(to);
      if (line) this.#relay(line);
    }
  }

  /** Forgets the rings waiting on the lines that reach `to` (rung while its id was vacant). */
  drainTo(to: number): void {
    for (const byReceiver of this.#lines.values()) byReceiver.get(to)?.fds.forEach((fd) => sys.drainEventfd(fd));
  }

  /** Reports what passed straight since the last report. */
  report(): void {
    for (const byReceiver of this.#lines.values()) for (const line of byReceiver.values()) this.#report(line);
  }

  #relay(line: Line): void {
    line.watchers.forEach((watcher, vector) => watcher.relayTo(this.#hooks.relayTarget(line.from, line.to, vector)));
  }

  #report(line: Line): void {
    line.watchers.forEach((watcher, vector) => {
      const count = watcher.takeRelayed();
      if (count > 0) this.#hooks.relayed(line.from, line.to, vector, count);
    });
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
    // What passed straight is reported before the watchers go.
    this.#report(line);
    line.watchers.forEach((watcher) => watcher.close());
    line.fds.forEach((fd) => this.#hooks.letGo(fd));
  }
}
