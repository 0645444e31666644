// A per-peer send queue: never blocks the server. Messages go out at once
// while the socket takes them; the rest wait (holding a reference to their
// fd, so its owner may let go meanwhile) until the socket is writable.
import * as sys from '../sys/index.js';
import type { SharedFd } from './shared-fd.js';

interface Pending {
  bytes: Uint8Array;
  /** Retained while queued, released once sent or dropped. */
  fd?: SharedFd;
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
  push(bytes: Uint8Array, fd?: SharedFd): PushResult {
    if (this.pending === 0) {
      const sent = sys.send(this.#fd, bytes, fd?.fd);
      if (sent === bytes.length) return 'sent';
      if (sent !== 'would-block') {
        // The fd went with the first bytes: only the rest waits.
        this.#queue.push({ bytes: bytes.subarray(sent) });
        return 'queued';
      }
    }
    if (this.pending >= this.#limit + this.allowance) return 'overflow';
    this.#queue.push({ bytes, fd: fd?.retain() });
    return 'queued';
  }

  /** Sends what the socket takes now: true once the queue is empty. */
  flush(): boolean {
    while (this.pending > 0) {
      const next = this.#queue[this.#head]!;
      const sent = sys.send(this.#fd, next.bytes, next.fd?.fd);
      if (sent === 'would-block') return false;
      next.fd?.release();
      next.fd = undefined;
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

  /** Drops what is still waiting and lets go of its fds. */
  discard(): void {
    for (let i = this.#head; i < this.#queue.length; i++) this.#queue[i]!.fd?.release();
    this.#queue = [];
    this.#head = 0;
  }
}
