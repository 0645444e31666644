// A host-side ivshmem peer: the library behind `famez client`. It holds one
// Session at a time; with `reconnect` it opens a new one whenever the server
// is absent or goes away, as QEMU's client does.
import { EventEmitter } from 'node:events';
import { DEFAULT_SOCKET_PATH, type Protocol } from '../protocol/message.js';
import type * as sys from '../sys/index.js';
import type { SharedMemory } from './memory.js';
import { NoServerError, openSession, type Doorbell, type Session } from './session.js';

export interface ConnectOptions {
  /** The server's socket (default /tmp/ivshmem_socket). */
  path?: string;
  protocol?: Protocol;
  /** Keep trying while the server is absent, and connect again when it goes away. */
  reconnect?: boolean;
  /** Give up one handshake after this many ms (default 10 s). */
  timeoutMs?: number;
}

export interface ClientEvents {
  doorbell: [Doorbell];
  /** A peer joined (all of its vectors have arrived). */
  peer: [number];
  'peer-gone': [number];
  /** With reconnect: the server went away; a new connection is being tried. */
  disconnect: [Error | undefined];
  /** With reconnect: connected again, under a new id. */
  reconnect: [number];
  /** The shared memory was cut by someone ('shrunk', the size found) or is whole again ('restored'). */
  memory: ['shrunk' | 'restored', number];
  /** The client is closed for good. */
  close: [Error | undefined];
}

/** Retry delays: quick at first, then every second like QEMU's client. */
const BACKOFF_MS = [100, 200, 400, 800, 1000];

export class FamezClient extends EventEmitter<ClientEvents> {
  readonly path: string;
  readonly #options: ConnectOptions;
  #session!: Session;
  #closed = false;
  #retry?: NodeJS.Timeout;

  private constructor(options: ConnectOptions) {
    super();
    this.#options = options;
    this.path = options.path ?? DEFAULT_SOCKET_PATH;
  }

  /** Connects and completes the handshake. */
  static async connect(options: ConnectOptions = {}): Promise<FamezClient> {
    const client = new FamezClient(options);
    client.#adopt(await client.#open(options.reconnect ?? false));
    return client;
  }

  /** Our peer id. */
  get id(): number {
    return this.#session.id;
  }

  /** Every peer present, ourselves included, with its number of vectors. */
  get peers(): ReadonlyMap<number, number> {
    return this.#session.peers;
  }

  /** Our number of vectors. */
  get vectors(): number {
    return this.#session.vectors;
  }

  get memory(): SharedMemory {
    return this.#session.memory;
  }

  get connected(): boolean {
    return !this.#closed && !this.#session.closed;
  }

  /** The eventfds of a peer's vectors (for display, as QEMU's client dump shows). */
  doorbellFds(peer: number): readonly sys.Fd[] {
    return this.#session.doorbellFds(peer);
  }

  /**
   * Hands `vector` over to a dedicated thread: its doorbells stop coming as
   * events, and its eventfd is returned for the thread to wait on with
   * sys.waitEventfd() (see the README: a lower-latency wait that costs a
   * thread). Not kept across a reconnect: the new connection's vectors are events again.
   */
  takeDoorbell(vector: number): sys.Fd {
    return this.#session.takeDoorbell(vector);
  }

  /** Rings one vector of `peer`, or all of them. */
  ring(peer: number, vector: number | 'all'): void {
    if (!this.connected) throw new Error(`not connected to ${this.path}`);
    this.#session.ring(peer, vector);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#retry);
    this.#session.close();
  }

  async #open(persist: boolean): Promise<Session> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await openSession(this.path, this.#options.protocol ?? 'qemu', this.#options.timeoutMs ?? 10_000);
      } catch (error) {
        if (!persist || this.#closed) throw error;
        await new Promise((resolve) => {
          this.#retry = setTimeout(resolve, BACKOFF_MS[Math.min(attempt, BACKOFF_MS.length - 1)]);
        });
        if (this.#closed) throw new Error('closed');
      }
    }
  }

  #adopt(session: Session): void {
    this.#session = session;
    session.on('doorbell', (doorbell) => this.emit('doorbell', doorbell));
    session.on('peer', (peer) => this.emit('peer', peer));
    session.on('peer-gone', (peer) => this.emit('peer-gone', peer));
    session.on('memory', (change, size) => this.emit('memory', change, size));
    session.on('close', (error) => {
      if (this.#closed || !this.#options.reconnect) {
        this.#closed = true;
        this.emit('close', error);
        return;
      }
      this.emit('disconnect', error);
      this.#open(true).then(
        (next) => {
          if (this.#closed) return next.close();
          this.#adopt(next);
          this.emit('reconnect', next.id);
        },
        () => {
          /* closed while retrying */
        },
      );
    });
  }
}

/** Connects to an ivshmem server and completes the handshake. */
export function connect(options: ConnectOptions = {}): Promise<FamezClient> {
  return FamezClient.connect(options);
}

export { NoServerError };
