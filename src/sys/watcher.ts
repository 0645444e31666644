// Fd readiness through libuv's uv_poll, without Node's private handles.
import { native, type NativeWatcher } from './native.js';
import { runHoldingRings } from './ring-soon.js';
import type { Fd } from './socket.js';

export const READABLE = 1;
export const WRITABLE = 2;

export interface Readiness {
  readable: boolean;
  writable: boolean;
  /** The poll failed (for example the fd was closed under it). */
  error?: number;
}

/** Watches one fd. Close the watcher before closing the fd. */
export class Watcher {
  readonly #native: NativeWatcher;
  #closed = false;

  private constructor(native: NativeWatcher) {
    this.#native = native;
  }

  /** Calls `onReady` while the fd is readable and/or writable (level-triggered). */
  static fd(fd: Fd, onReady: (ready: Readiness) => void): Watcher {
    return new Watcher(
      new native.Watcher(
        fd,
        (events, status) => {
          onReady(
            events < 0
              ? { readable: false, writable: false, error: status }
              : { readable: (events & READABLE) !== 0, writable: (events & WRITABLE) !== 0 },
          );
        },
        false,
      ),
    );
  }

  /**
   * Calls `onRing(count)` for each batch of rings; the counter is drained natively first.
   * A ring `onRing` makes with ringEventfdSoon() is done as it returns, in the same call.
   */
  static eventfd(fd: Fd, onRing: (count: number) => void): Watcher {
    const watcher = new Watcher(
      new native.Watcher(fd, (events, count) => (events >= 0 ? runHoldingRings(onRing, count) : -1), true),
    );
    watcher.start(READABLE);
    return watcher;
  }

  /** Starts (or changes) watching: READABLE, WRITABLE or both. */
  start(mask: number): void {
    this.#native.start(mask);
  }

  stop(): void {
    if (!this.#closed) this.#native.stop();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#native.close();
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Eventfd watchers: pass each ring straight to `fd` (an eventfd) in the
   * addon, without calling back (undefined: call back again). A ring whose
   * write fails still comes to the callback. takeRelayed() says how many passed.
   */
  relayTo(fd: Fd | undefined): void {
    if (!this.#closed) this.#native.relay(fd ?? -1);
  }

  /** Rings relayed since the last call. */
  takeRelayed(): number {
    return this.#closed ? 0 : this.#native.takeRelayed();
  }

  /** Whether an active watcher keeps the process alive (default true). */
  ref(keepAlive = true): this {
    this.#native.setRef(keepAlive);
    return this;
  }
}
