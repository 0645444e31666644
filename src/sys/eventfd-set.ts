// Eventfds one thread waits on together (an epoll instance): for a worker
// thread given several doorbells, which then wakes straight from the kernel.
import { native } from './native.js';
import { close, type Fd } from './socket.js';

export class EventfdSet {
  /** After wait(): the indexes (in the fds given) of those that rang, ready[0..n). */
  readonly ready: Int32Array;
  /** After wait(): their counts, counts[0..n). */
  readonly counts: Float64Array;
  readonly #set: Fd;

  /** Watches `fds`; the set does not own them (closing it leaves them open). */
  constructor(fds: readonly Fd[]) {
    this.#set = native.eventfdSetCreate([...fds]);
    this.ready = new Int32Array(Math.max(fds.length, 1));
    this.counts = new Float64Array(this.ready.length);
  }

  /**
   * BLOCKS the calling thread until one of the fds rings or `timeoutMs` pass (-1: no limit), then
   * reads and resets each that rang: how many did (0 on timeout), in `ready` and `counts`.
   * Never call it on the main thread.
   */
  wait(timeoutMs = -1): number {
    return native.eventfdSetWait(this.#set, this.ready, this.counts, timeoutMs);
  }

  close(): void {
    close(this.#set);
  }
}
