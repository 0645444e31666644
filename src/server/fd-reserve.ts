// Fds held back for the next join. Whatever else the process opens (HTTP
// connections, files) cannot take the last fds a peer's admission needs:
// the server lets the reserve go just before it accepts, and takes it again
// after. Held as /dev/null, read-only: they cost nothing but the slot.
import * as sys from '../sys/index.js';

export class FdReserve {
  readonly #fds: sys.Fd[] = [];

  /** Fds held now. */
  get size(): number {
    return this.#fds.length;
  }

  /** Holds `count` fds, or as many as the limit allows (fewer when fds run out): how many are held. */
  fill(count: number): number {
    while (this.#fds.length > count) sys.close(this.#fds.pop()!);
    while (this.#fds.length < count) {
      try {
        this.#fds.push(sys.openFile('/dev/null', { readOnly: true }));
      } catch {
        break; // out of fds: hold what there is
      }
    }
    return this.#fds.length;
  }

  /** Lets every held fd go. */
  release(): void {
    while (this.#fds.length > 0) sys.close(this.#fds.pop()!);
  }
}
