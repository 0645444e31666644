// An fd that several queued messages may still need: closed when its owner
// has let go and the last queued message carrying it has been sent or dropped.
// Queued messages hold a reference instead of a duplicate, so a stuck peer's
// queue costs memory, not fds.
import * as sys from '../sys/index.js';

export class SharedFd {
  #refs = 1;

  constructor(readonly fd: sys.Fd) {}

  retain(): this {
    this.#refs++;
    return this;
  }

  release(): void {
    if (--this.#refs === 0) sys.close(this.fd);
  }
}
