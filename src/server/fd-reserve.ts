// Fds held back for the next joins. Whatever else the process opens (HTTP
// connections, files) cannot take the last fds a peer's admission needs:
// the acceptor lets a join's share go just before it accepts, and takes the
// reserve back after. Held as /dev/null, read-only: they cost nothing but the slot.
import * as sys from '../sys/index.js';

/** The reason a peer is refused for want of fds (docs/security.md names it). */
export function outOfFds(why: string): string {
  return `out of file descriptors (${why}): raise the limit (ulimit -n) or close other connections`;
}

/** Whether an error is the process (EMFILE) or the system (ENFILE) out of fds. */
export function isOutOfFds(error: unknown): error is sys.SysError {
  return sys.isSysError(error, 'EMFILE') || sys.isSysError(error, 'ENFILE');
}

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

  /** Lets `count` held fds go (all there are, if fewer). */
  letGo(count: number): void {
    for (let i = 0; i < count && this.#fds.length > 0; i++) sys.close(this.#fds.pop()!);
  }

  /** Lets every held fd go. */
  release(): void {
    while (this.#fds.length > 0) sys.close(this.#fds.pop()!);
  }
}
