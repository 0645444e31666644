// Node's own floor for a switch (issue 33): bench/c-switch.c's algorithm (answer
// "ping" with "pong" through the one outgoing slot, a queue for the rest) on
// famez's server, as built-in peer 15 of 16 vectors, with nothing of the fabric.
// Usage: pong-switch.js loop|thread SOCKET
//   loop    its doorbells come through the event loop, as the fabric's switch's do
//   thread  a worker thread blocks on all of them at once (sys.EventfdSet) and
//           answers from there; the main thread keeps the server
// Prints "listening on SOCKET" once it is. Senders leave only after their
// last pong: the thread rings a sender only in answer to its ping, so never
// an eventfd that the server has closed.
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { createServer } from '../../src/server/index.js';
import * as sys from '../../src/sys/index.js';

const SLOT = 512;
const BUF = 128;
const BUFLEN = 64;
const CLIENTS = 14;
const SWITCH = CLIENTS + 1;
const VECTORS = CLIENTS + 2;
const PING = [0x70, 0x69, 0x6e, 0x67];
const PONG = [0x70, 0x6f, 0x6e, 0x67];

/** c-switch.c's receive() and deliver(), over the mailbox's memory. */
class PongSwitch {
  readonly #bytes: Uint8Array;
  readonly #lengths: Uint32Array; // slot s's buffer length: low word at (s * SLOT + BUFLEN) / 4
  readonly #queue: number[] = [];
  readonly #queued = new Set<number>();
  readonly #ring: (to: number) => boolean;
  #outTo = -1;
  /** When the sender at the queue's head was first found without a doorbell (-1: it was not). */
  #unknownSince = -1;

  /** `ring(to)` rings sender `to`: false when its doorbell is not known (yet). */
  constructor(memory: ArrayBuffer, ring: (to: number) => boolean) {
    this.#bytes = new Uint8Array(memory);
    this.#lengths = new Uint32Array(memory);
    this.#ring = ring;
  }

  receive(from: number): void {
    if (from < 1 || from > CLIENTS) return;
    const at = (from * SLOT + BUFLEN) / 4;
    const length = Atomics.load(this.#lengths, at);
    if (length === 0) return;
    const buf = from * SLOT + BUF;
    const ping = length >= 4 && PING.every((byte, i) => this.#bytes[buf + i] === byte);
    Atomics.store(this.#lengths, at + 1, 0);
    Atomics.store(this.#lengths, at, 0);
    if (ping && !this.#queued.has(from)) {
      this.#queued.add(from);
      this.#queue.push(from);
    }
  }

  /**
   * Sends the next pong if the slot is back: false while pongs wait for it (look again in 1 ms, as c-switch.c does).
   */
  deliver(): boolean {
    const own = (SWITCH * SLOT + BUFLEN) / 4;
    if (this.#outTo >= 0) {
      if (Atomics.load(this.#lengths, own) !== 0) return this.#queue.length === 0;
      this.#outTo = -1;
    }
    const to = this.#queue.shift();
    if (to === undefined) return true;
    this.#queued.delete(to);
    this.#bytes.set(PONG, SWITCH * SLOT + BUF);
    Atomics.store(this.#lengths, own, 4);
    this.#outTo = to;
    if (this.#ring(to)) {
      this.#unknownSince = -1;
      return this.#queue.length === 0;
    }
    // Its doorbell is not known here yet (the thread learns of a join after the peer can ping): again
    // soon, for a second; a sender that left waiting for its pong is dropped then.
    Atomics.store(this.#lengths, own, 0);
    this.#outTo = -1;
    const now = performance.now();
    if (this.#unknownSince < 0) this.#unknownSince = now;
    if (now - this.#unknownSince > 1000) {
      this.#unknownSince = -1;
      return this.deliver();
    }
    this.#queued.add(to);
    this.#queue.unshift(to);
    return false;
  }
}

interface ThreadData {
  memoryFd: number;
  size: number;
  doorbells: number[];
  /** [id]: peer id's eventfd of vector SWITCH (-1: none); stop at [0] = 1. */
  table: SharedArrayBuffer;
}

if (isMainThread) await main();
else thread(workerData as ThreadData);

async function main(): Promise<void> {
  const [mode, socket] = process.argv.slice(2);
  if ((mode !== 'loop' && mode !== 'thread') || !socket) throw new Error('usage: pong-switch.js loop|thread SOCKET');
  const size = 8192;
  const server = createServer({
    socketPath: socket,
    memory: { kind: 'memfd', size },
    vectors: VECTORS,
    idRange: { first: 1, last: CLIENTS },
  });
  await server.listen();
  const memory = sys.map(server.memory.fd, 0, size);
  new BigUint64Array(memory, 0, 5).set([SLOT, BUF, CLIENTS, VECTORS, SWITCH].map(BigInt));
  const builtIn = server.addBuiltInPeer(SWITCH);
  if (mode === 'loop') {
    const pong = new PongSwitch(memory, (to) => builtIn.ring(to, SWITCH));
    let again: NodeJS.Timeout | undefined;
    const deliver = (): void => {
      if (pong.deliver() || again) return;
      again = setTimeout(() => {
        again = undefined;
        deliver();
      }, 1);
    };
    builtIn.on('doorbell', ({ vector }) => {
      pong.receive(vector);
      deliver();
    });
  } else {
    builtIn.close(); // its doorbells are the thread's
    const table = new SharedArrayBuffer(4 * (CLIENTS + 2));
    const fds = new Int32Array(table).fill(-1);
    fds[0] = 0;
    server.on('peer-joined', (peer) => Atomics.store(fds, peer.id, peer.eventfds[SWITCH] ?? -1));
    server.on('peer-left', (peer) => Atomics.store(fds, peer.id, -1));
    const data: ThreadData = { memoryFd: server.memory.fd, size, doorbells: [...builtIn.eventfds], table };
    const worker = new Worker(new URL(import.meta.url), { workerData: data });
    worker.once('error', (error) => {
      process.stderr.write(`pong-switch thread: ${error.stack}\n`);
      process.exit(1);
    });
    process.once('SIGTERM', () => Atomics.store(fds, 0, 1));
  }
  process.once('SIGTERM', () => void server.close().then(() => process.exit(0)));
  process.stdout.write(`listening on ${socket}\n`);
}

function thread({ memoryFd, size, doorbells, table }: ThreadData): void {
  const fds = new Int32Array(table);
  const pong = new PongSwitch(sys.map(memoryFd, 0, size), (to) => {
    const fd = Atomics.load(fds, to);
    if (fd >= 0) sys.ringEventfd(fd);
    return fd >= 0;
  });
  const set = new sys.EventfdSet(doorbells);
  let delivered = true;
  while (Atomics.load(fds, 0) === 0) {
    const n = set.wait(delivered ? 100 : 1);
    for (let i = 0; i < n; i++) pong.receive(set.ready[i]!);
    delivered = pong.deliver();
  }
  set.close();
  parentPort?.close();
}
