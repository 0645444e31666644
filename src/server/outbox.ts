// A per-peer send queue: never blocks the server. Messages go out at once
// while the socket takes them; the rest wait (each with its own copy of its
// fd, so the original may be closed meanwhile) until the socket is writable.
import * as sys from '../sys/index.js';

interface Pending {
  bytes: Uint8Array;
  /** Our own duplicate, closed once sent or dropped. */
  fd?: sys.Fd;
}

export type PushResult = 'sent' | 'queued' | 'overflow';

export class Outbox {
  readonly #fd: sys.Fd;
  readonly #limit: number;
  #queue: Pending[] = [];
  #head = 0;
  /** Messages allowed beyond the limit (a newcomer's handshake). */
  allowance = 0;

  /** `limit`: how many messages may wait before the peer counts as stuck. */
  constructor(fd: sys.Fd, limit: number) {
    this.#fd = fd;
    this.#limit = limit;
  }

  get pending(): number {
    return this.#queue.length - this.#head;
  }

  /** Sends or queues one message. Throws on a broken socket (EPIPE, ECONNRESET). */
  push(bytes: Uint8Array, fd?: sys.Fd): PushResult {
    if (this.pending === 0) {
      const sent = sys.send(this.#fd, bytes, fd);
      if (sent === bytes.length) return 'sent';
      if (sent !== 'would-block') {
        // The fd went with the first bytes: only the rest waits.
        return this.#enqueue({ bytes: bytes.subarray(sent) });
      }
    }
    if (this.pending >= this.#limit + this.allowance) return 'overflow';
    return this.#enqueue({ bytes, fd: fd === undefined ? undefined : sys.dup(fd) });
  }

  /** Sends what the socket takes now: true once the queue is empty. */
  flush(): boolean {
    while (this.pending > 0) {
      const next = this.#queue[this.#head]!;
      const sent = sys.send(this.#fd, next.bytes, next.fd);
      if (sent === 'would-block') return false;
      if (next.fd !== undefined) {
        sys.close(next.fd);
        next.fd = undefined;
      }
      if (sent < next.bytes.length) {
        next.bytes = next.bytes.subarray(sent);
        continue;
      }
      this.#queue[this.#head++] = undefined as unknown as Pending;
    }
    this.#queue = [];
    this.#head = 0;
    return true;
  }

  /** Drops what is still waiting and closes its fds. */
  discard(): void {
    for (let i = this.#head; i < this.#queue.length; i++) {
      const fd = this.#queue[i]!.fd;
      if (fd !== undefined) sys.close(fd);
    }
    this.#queue = [];
    this.#head = 0;
  }

  #enqueue(pending: Pending): PushResult {
    this.#queue.push(pending);
    return 'queued';
  }
}
