// Shared by test/server and test/cli: fd counting, temp dirs, waiting, and a
// RAW test peer that reads the server's stream exactly as QEMU does (8 bytes
// per recvmsg) so that the tests see the wire, not the client library's view.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventEmitter } from 'node:events';
import type { TestContext } from 'node:test';
import * as sys from '../../src/sys/index.js';
import { createServer, type ServerOptions } from '../../src/server/index.js';
import { connect, type FamezClient } from '../../src/client/index.js';
import { openFdCount, openFds, sleep, waitFor } from '../helpers/fds.js';

// ------------------------------------------------------------------ fds

export { openFdCount, sleep, waitFor };

/**
 * Snapshot of this process's fds now; later `check()` waits briefly (closes
 * may follow a tick) and asserts exactly the same fds are open.
 */
export function fdBaseline(): { count: number; check(what?: string): Promise<void> } {
  const before = openFds();
  return {
    count: before.size,
    async check(what = 'fds') {
      for (let i = 0; i < 50 && openFdCount() !== before.size; i++) await sleep(10);
      const after = openFds();
      const added = [...after]
        .filter(([fd, target]) => before.get(fd) !== target)
        .map(([fd, target]) => `${fd}->${target}`);
      const removed = [...before]
        .filter(([fd, target]) => after.get(fd) !== target)
        .map(([fd, target]) => `${fd}->${target}`);
      if (added.length > 0 || removed.length > 0) {
        assert.fail(
          `${what}: ${after.size} open, ${before.size} before; left open: ${added.slice(0, 20).join(' ')}; closed: ${removed.slice(0, 20).join(' ')}`,
        );
      }
    },
  };
}

// ------------------------------------------------------------------ time

/** The arguments of the next `event`, or a failure after `timeoutMs`. */
export function nextEvent<T extends unknown[] = unknown[]>(
  emitter: EventEmitter<any>,
  event: string,
  timeoutMs = 5000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, listener);
      reject(new Error(`timed out after ${timeoutMs} ms waiting for event "${event}"`));
    }, timeoutMs);
    const listener = (...args: unknown[]): void => {
      clearTimeout(timer);
      resolve(args as T);
    };
    emitter.once(event, listener);
  });
}

// ------------------------------------------------------------------ dirs

/** A fresh temp dir removed after the test, pass or fail. */
export function tempDir(t: TestContext, prefix = 'famez-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

// ------------------------------------------------------------------ raw peer

export interface RawMessage {
  /** The decoded value (bigint only outside the safe-integer range). */
  value: number | bigint;
  fd?: sys.Fd;
}

/** Little-endian signed 64-bit, decoded here independently of src/protocol. */
export function decodeLE(bytes: Uint8Array): number | bigint {
  let unsigned = 0n;
  for (let i = 7; i >= 0; i--) unsigned = (unsigned << 8n) | BigInt(bytes[i]!);
  const value = BigInt.asIntN(64, unsigned);
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

/** "5" for a message without an fd, "5+fd" with one. */
export function show(messages: readonly RawMessage[]): string[] {
  return messages.map((m) => `${m.value}${m.fd === undefined ? '' : '+fd'}`);
}

/**
 * A peer on a raw socket: reads with sys.receive(fd, 8), one message per
 * call, and asserts that each read is exactly one whole message with at most
 * one fd. Keeps every fd it receives until close().
 */
export class RawPeer {
  readonly fd: sys.Fd;
  /** Every message received so far, in order. */
  readonly received: RawMessage[] = [];
  readonly #owned: sys.Fd[] = [];
  #cursor = 0;
  #eof = false;
  #closed = false;

  private constructor(fd: sys.Fd) {
    this.fd = fd;
  }

  static connect(path: string): RawPeer {
    return new RawPeer(sys.connect(path));
  }

  get eof(): boolean {
    return this.#eof;
  }

  /** Reads what is waiting now. */
  poll(): void {
    while (!this.#eof && !this.#closed) {
      const got = sys.receive(this.fd, 8);
      if (got === null) return;
      got.fds.forEach((fd) => this.#owned.push(fd));
      assert.equal(got.truncated, false, 'control data truncated: more fds than one message may carry');
      if (got.bytes.length === 0) {
        assert.equal(got.fds.length, 0, 'fds with end of stream');
        this.#eof = true;
        return;
      }
      assert.equal(got.bytes.length, 8, `a read of 8 bytes returned ${got.bytes.length}: a message was split`);
      assert.ok(got.fds.length <= 1, `one message came with ${got.fds.length} fds`);
      this.received.push({ value: decodeLE(got.bytes), fd: got.fds[0] });
    }
  }

  /** The next `count` messages not yet taken; fails on timeout or end of stream. */
  async take(count: number, timeoutMs = 5000): Promise<RawMessage[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      this.poll();
      if (this.received.length - this.#cursor >= count) break;
      if (this.#eof)
        assert.fail(
          `end of stream after ${this.received.length - this.#cursor} of ${count} messages: ${show(this.received.slice(this.#cursor)).join(' ')}`,
        );
      if (Date.now() > deadline)
        assert.fail(
          `timed out waiting for ${count} messages, got ${show(this.received.slice(this.#cursor)).join(' ')}`,
        );
      await sleep(1);
    }
    const messages = this.received.slice(this.#cursor, this.#cursor + count);
    this.#cursor += count;
    return messages;
  }

  /** Lets the server run for `ms`, then asserts nothing (not even end of stream) is readable. */
  async expectNothing(ms = 50): Promise<void> {
    await sleep(ms);
    this.poll();
    assert.deepEqual(show(this.received.slice(this.#cursor)), [], 'unexpected messages');
    assert.equal(this.#eof, false, 'unexpected end of stream');
  }

  /** Waits for the end of stream, with nothing more before it. */
  async expectEof(timeoutMs = 5000): Promise<void> {
    await waitFor(
      () => {
        this.poll();
        return this.#eof;
      },
      'end of stream',
      timeoutMs,
    );
    assert.deepEqual(show(this.received.slice(this.#cursor)), [], 'messages before end of stream');
  }

  /** Sends raw bytes (peers must not: the server drops a peer that does). */
  sendBytes(bytes: Uint8Array): void {
    assert.equal(sys.send(this.fd, bytes), bytes.length);
  }

  /** Closes the socket and every fd received. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#owned.forEach((fd) => sys.close(fd));
    this.#owned.length = 0;
    sys.close(this.fd);
  }
}

/**
 * A peer that drains everything it receives as it arrives (through a
 * Watcher), closing every fd at once; it remembers its id, the values of
 * the messages without an fd after setup, and how many of its own vectors
 * arrived. For tests with many peers in one process.
 */
export class DrainingPeer {
  readonly fd: sys.Fd;
  id = -1;
  messages = 0;
  ownVectors = 0;
  /** Ids announced gone (a message without an fd after setup). */
  readonly gone: number[] = [];
  eof = false;
  readonly #watcher: sys.Watcher;
  readonly #setup: number;
  readonly #batch: number;
  #closed = false;
  #wake?: () => void;

  /**
   * `batch`: read at most this many messages per wake-up (the watcher is
   * level-triggered, so the rest comes on the next one); with the number of
   * vectors this saves the final empty read of each wake-up.
   */
  constructor(path: string, options: { protocol?: 'qemu' | 'legacy'; batch?: number } = {}) {
    this.#setup = (options.protocol ?? 'qemu') === 'qemu' ? 3 : 2;
    this.#batch = options.batch ?? Infinity;
    this.fd = sys.connect(path);
    this.#watcher = sys.Watcher.fd(this.fd, () => this.#drain());
    this.#watcher.start(sys.READABLE);
  }

  #drain(): void {
    for (let n = 0; n < this.#batch; n++) {
      const got = sys.receive(this.fd, 8);
      if (got === null) return;
      const fd = got.fds[0];
      for (const each of got.fds) sys.close(each);
      if (got.bytes.length === 0) {
        this.eof = true;
        this.#watcher.stop();
        this.#wake?.();
        return;
      }
      this.messages++;
      if (this.messages < this.#setup - 1) continue;
      // Every value here fits 32 bits (ids, -1): the low half is enough.
      const value = new DataView(got.bytes.buffer, got.bytes.byteOffset, 8).getInt32(0, true);
      if (this.messages === this.#setup - 1) this.id = value;
      else if (this.messages > this.#setup) {
        if (fd === undefined) this.gone.push(value);
        else if (value === this.id) {
          this.ownVectors++;
          this.#wake?.();
        }
      }
    }
  }

  /** Resolves once `vectors` of its own doorbells have arrived; fails at end of stream. */
  async established(vectors: number, timeoutMs = 5000): Promise<void> {
    const state = (): string =>
      `peer ${this.id} handshake (${this.messages} messages, ${this.ownVectors} own vectors${this.eof ? ', then end of stream' : ''})`;
    const done = (): boolean => this.ownVectors >= vectors || this.eof;
    if (!done()) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          this.#wake = undefined;
          reject(new assert.AssertionError({ message: `timed out after ${timeoutMs} ms waiting for the ${state()}` }));
        }, timeoutMs);
        this.#wake = () => {
          if (!done()) return;
          clearTimeout(timer);
          this.#wake = undefined;
          resolve();
        };
      });
    }
    if (this.ownVectors < vectors) assert.fail(`the server closed the connection during the ${state()}`);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#watcher.close();
    sys.close(this.fd);
  }
}

// ------------------------------------------------------------------ a server for a test

/**
 * A server on a 64 KiB memfd in a scratch folder, closed after the test, with
 * famez clients that close with it and an fd-leak check in done().
 */
export async function startServer(t: TestContext, options: ServerOptions = {}) {
  const fds = fdBaseline();
  const path = join(tempDir(t), 'sock');
  const server = createServer({ socketPath: path, memory: { kind: 'memfd', size: 1 << 16 }, ...options });
  const clients: FamezClient[] = [];
  t.after(async () => {
    clients.forEach((c) => c.close());
    await server.close();
  });
  await server.listen();
  return {
    server,
    path,
    async client(): Promise<FamezClient> {
      const client = await connect({ path, timeoutMs: 5000 });
      clients.push(client);
      return client;
    },
    async done(): Promise<void> {
      clients.forEach((c) => c.close());
      await server.close();
      await fds.check();
    },
  };
}
