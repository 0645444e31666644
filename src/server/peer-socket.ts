// The server's end of one peer's connection: sends through an Outbox and
// watches for the peer going away. Peers never send anything, so any byte,
// end of stream or error means the peer is gone.
import { encodeAll } from '../protocol/message.js';
import * as sys from '../sys/index.js';
import { Outbox } from './outbox.js';
import type { SharedFd } from './shared-fd.js';

export class PeerSocket {
  readonly fd: sys.Fd;
  readonly #outbox: Outbox;
  readonly #watcher: sys.Watcher;
  readonly #onGone: (reason: string) => void;
  #gone = false;

  /** `onGone` is called once, later (never from inside send), with the reason. */
  constructor(fd: sys.Fd, maxQueue: number, onGone: (reason: string) => void) {
    this.fd = fd;
    this.#outbox = new Outbox(fd, maxQueue);
    this.#onGone = onGone;
    this.#watcher = sys.Watcher.fd(fd, (ready) => this.#ready(ready));
    this.#watcher.start(sys.READABLE);
  }

  get gone(): boolean {
    return this.#gone;
  }

  /** Lets `count` more messages wait than the bound allows (the peer's own handshake). */
  allowBurst(count: number): void {
    this.#outbox.allowance += count;
  }

  get queued(): number {
    return this.#outbox.pending;
  }

  /** Sends messages in one sendmsg (with `fd`, only one message). */
  send(values: readonly number[], fd?: SharedFd): void {
    if (this.#gone) return;
    try {
      const result = this.#outbox.push(encodeAll(values), fd);
      if (result === 'overflow') this.#fail('stopped reading (send queue full)');
      else if (result === 'queued' && this.#outbox.pending === 1) this.#watcher.start(sys.READABLE | sys.WRITABLE);
    } catch (error) {
      this.#sendFailed(error);
    }
  }

  /** Closes the connection; what is still queued is dropped. */
  close(): void {
    this.#gone = true;
    this.#watcher.close();
    this.#outbox.discard();
    sys.close(this.fd);
  }

  #ready(ready: sys.Readiness): void {
    if (this.#gone) return;
    if (ready.error !== undefined) return this.#fail(`poll error ${ready.error}`);
    if (ready.readable) return this.#readable();
    if (ready.writable) {
      try {
        if (this.#outbox.flush()) this.#watcher.start(sys.READABLE);
      } catch (error) {
        this.#sendFailed(error);
      }
    }
  }

  #readable(): void {
    try {
      const got = sys.receive(this.fd, 1);
      if (got === null) return;
      for (const fd of got.fds) sys.close(fd);
      this.#fail(got.bytes.length === 0 ? 'disconnected' : 'sent data (peers must not send)');
    } catch (error) {
      this.#fail(`disconnected (${(error as sys.SysError).code ?? (error as Error).message})`);
    }
  }

  #sendFailed(error: unknown): void {
    const closed = sys.isSysError(error, 'EPIPE') || sys.isSysError(error, 'ECONNRESET');
    this.#fail(closed ? 'disconnected' : `send failed: ${(error as Error).message}`);
  }

  #fail(reason: string): void {
    if (this.#gone) return;
    this.#gone = true;
    this.#watcher.stop();
    queueMicrotask(() => this.#onGone(reason));
  }
}
