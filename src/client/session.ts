// One connection to a server: the handshake, the peer table, our doorbells
// and the shared memory. FamezClient wraps it (and replaces it on reconnect).
import { EventEmitter } from 'node:events';
import { ClientStream, ProtocolError, type StreamEvent } from '../protocol/client-stream.js';
import type { Protocol } from '../protocol/message.js';
import * as sys from '../sys/index.js';
import { Announcements, type Run } from './announcements.js';
import { SharedMemory } from './memory.js';
import { MessageReader } from './message-reader.js';

export interface Doorbell {
  vector: number;
  /** Rings since the last doorbell event on this vector (eventfds count). */
  count: number;
}

export interface SessionEvents {
  doorbell: [Doorbell];
  peer: [number];
  'peer-gone': [number];
  /** The shared memory was cut ('shrunk', the size found) or is whole again ('restored'); see SharedMemory. */
  memory: ['shrunk' | 'restored', number];
  /** The connection ended: by close(), by the server, or by an error. */
  close: [Error | undefined];
}

/** How long a lone client's socket stays quiet before its vectors count as complete. */
const QUIET_MS = 20;

/** One connection to a server, established by openSession(). */
export class Session extends EventEmitter<SessionEvents> {
  readonly path: string;
  /** Our peer id. */
  id = -1;
  /** Every peer (ourselves included) whose vectors have all arrived, and its number of vectors. */
  readonly peers = new Map<number, number>();
  #memory?: SharedMemory;
  readonly #fd: sys.Fd;
  readonly #reader: MessageReader;
  readonly #stream: ClientStream;
  readonly #watcher: sys.Watcher;
  readonly #doorbells = new Map<number, sys.Fd[]>();
  /** Watchers of our own vectors, by vector (absent once handed over to a thread). */
  readonly #own = new Map<number, sys.Watcher>();
  readonly #announcements = new Announcements();
  /** Peers complete since the socket was last drained: announced then. */
  #joining = new Set<number>();
  #ready?: (error?: Error) => void;
  /** Alone on the server: our vector count is taken once no more has come for QUIET_MS. */
  #settling?: NodeJS.Timeout;
  #closed = false;

  constructor(fd: sys.Fd, path: string, protocol: Protocol) {
    super();
    this.#fd = fd;
    this.path = path;
    this.#reader = new MessageReader(fd);
    this.#stream = new ClientStream(protocol);
    this.#watcher = sys.Watcher.fd(fd, () => this.#readable());
    this.#watcher.start(sys.READABLE);
  }

  /** Our number of vectors (doorbells others can ring). */
  get vectors(): number {
    return this.peers.get(this.id) ?? 0;
  }

  get memory(): SharedMemory {
    if (!this.#memory) throw new Error('not connected');
    return this.#memory;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The eventfds of `peer`'s vectors (ours too), for display. */
  doorbellFds(peer: number): readonly sys.Fd[] {
    return this.#doorbells.get(peer) ?? [];
  }

  /** Rings `peer`'s doorbell `vector`, or all of its vectors. */
  ring(peer: number, vector: number | 'all'): void {
    const fds = this.#doorbells.get(peer);
    if (!fds) throw new RangeError(`no peer ${peer}: known peers are ${[...this.peers.keys()].join(', ') || 'none'}`);
    if (vector === 'all') {
      fds.forEach((fd) => sys.ringEventfd(fd));
      return;
    }
    const fd = fds[vector];
    if (fd === undefined) throw new RangeError(`peer ${peer} has vectors 0..${fds.length - 1}, not ${vector}`);
    sys.ringEventfd(fd);
  }

  /**
   * Stops delivering `vector`'s doorbells as events and gives its eventfd, for
   * a worker thread to wait on with sys.waitEventfd(). The session still owns
   * (and at close, closes) the fd. The fd is made blocking, so that the
   * thread's wait is one read(): the eventfd is ours to read, the others who
   * hold it only ring it, and it goes with our leaving.
   */
  takeDoorbell(vector: number): sys.Fd {
    const fd = this.#doorbells.get(this.id)?.[vector];
    if (fd === undefined) throw new RangeError(`we have vectors 0..${this.vectors - 1}, not ${vector}`);
    this.#own.get(vector)?.close();
    this.#own.delete(vector);
    sys.setEventfdBlocking(fd, true);
    return fd;
  }

  /** Leaves the server and releases every fd and mapping. */
  close(): void {
    this.#shutdown(undefined);
  }

  /** Resolves once the server has sent our id, the memory and our own doorbells. */
  established(timeoutMs: number): Promise<this> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => this.#shutdown(new Error(`no complete handshake from ${this.path} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.#ready = (error) => {
        clearTimeout(timer);
        this.#ready = undefined;
        if (error) reject(error);
        else resolve(this);
      };
    });
  }

  #readable(): void {
    try {
      for (;;) {
        const message = this.#reader.read();
        if (message === null) break;
        if (message === 'end') {
          this.#settleHandshake();
          return this.#shutdown(
            this.#stream.established && this.peers.has(this.id)
              ? undefined
              : new ProtocolError(`the server at ${this.path} closed the connection during the handshake`),
          );
        }
        let event: StreamEvent | undefined;
        try {
          event = this.#stream.feed(message.value, message.fd);
        } catch (error) {
          if (message.fd !== undefined) sys.close(message.fd);
          throw error;
        }
        if (event) this.#apply(event);
      }
    } catch (error) {
      return this.#shutdown(error as Error);
    }
    // The socket is drained: announce the peers whose vectors have all arrived.
    const joined = [...this.#joining];
    this.#joining.clear();
    this.#settleHandshake();
    if (this.#ready && this.peers.has(this.id)) this.#ready();
    for (const peer of joined) if (peer !== this.id) this.emit('peer', peer);
  }

  #apply(event: StreamEvent): void {
    switch (event.type) {
      case 'id':
        this.id = event.id;
        return;
      case 'memory':
        this.#memory = new SharedMemory(event.fd);
        this.#memory.on('shrunk', (size) => this.emit('memory', 'shrunk', size));
        this.#memory.on('restored', (size) => this.emit('memory', 'restored', size));
        return;
      case 'vector': {
        if (!sys.isEventfd(event.fd)) {
          sys.close(event.fd);
          throw new ProtocolError(
            `the server at ${this.path} sent peer ${event.peer}'s vector ${event.vector} as an fd that is no eventfd: not an ivshmem server`,
          );
        }
        const fds = this.#doorbells.get(event.peer) ?? [];
        this.#doorbells.set(event.peer, fds);
        fds.push(event.fd);
        if (this.peers.has(event.peer)) this.peers.set(event.peer, fds.length);
        this.#announcements.vector(event.peer).forEach((run) => this.#complete(run));
        if (event.peer === this.id) {
          const vector = event.vector;
          // A vector announced again replaces the old one: its watcher must stop before its fd closes.
          this.#own.get(vector)?.close();
          this.#own.set(
            vector,
            sys.Watcher.eventfd(event.fd, (count) => this.emit('doorbell', { vector, count })),
          );
        }
        return;
      }
      case 'gone': {
        this.#announcements.gone(event.peer).forEach((run) => this.#complete(run));
        const fds = this.#doorbells.get(event.peer);
        if (!fds || event.peer === this.id) return;
        fds.forEach(sys.close);
        this.#doorbells.delete(event.peer);
        // A peer is gone for our user only if it was announced.
        const announced = this.peers.delete(event.peer) && !this.#joining.delete(event.peer);
        if (announced) this.emit('peer-gone', event.peer);
      }
    }
  }

  /** All of `run.peer`'s vectors are here. */
  #complete(run: Run): void {
    const fds = this.#doorbells.get(run.peer);
    if (!fds) return;
    if (!this.peers.has(run.peer) && run.peer !== this.id) this.#joining.add(run.peer);
    this.peers.set(run.peer, fds.length);
  }

  /**
   * Alone on the server, nothing tells how many vectors we have: no other
   * peer's run shows it, and nothing follows our own until a peer joins. Once
   * the handshake's messages are drained, take ours as they are (the next
   * peer's run closes ours and fixes the count).
   */
  #settleHandshake(): void {
    if (this.peers.has(this.id) || !this.#stream.established) return;
    const open = this.#announcements.open;
    if (open?.peer !== this.id || this.#announcements.full !== undefined) return;
    // The server's messages may reach us in two reads (it runs on another core): a drained socket is not
    // the end of its burst until it stays quiet a moment.
    const count = open.count;
    clearTimeout(this.#settling);
    this.#settling = setTimeout(() => {
      const now = this.#announcements.open;
      if (this.#closed || this.peers.has(this.id) || now?.peer !== this.id || now.count !== count) return;
      this.peers.set(this.id, count);
      this.#ready?.();
    }, QUIET_MS);
  }

  #shutdown(error: Error | undefined): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#settling);
    this.#watcher.close();
    this.#own.forEach((watcher) => watcher.close());
    this.#own.clear();
    this.#reader.discard();
    for (const fds of this.#doorbells.values()) fds.forEach(sys.close);
    this.#doorbells.clear();
    this.peers.clear();
    this.#memory?.close();
    sys.close(this.#fd);
    if (this.#ready) this.#ready(error ?? new ProtocolError(`the server at ${this.path} closed the connection`));
    else this.emit('close', error);
  }
}

/** Connects to the server at `path` and completes the handshake. */
export async function openSession(path: string, protocol: Protocol, timeoutMs: number): Promise<Session> {
  const fd = await connectSocket(path);
  return new Session(fd, path, protocol).established(timeoutMs);
}

/** A connected fd; waits briefly while the listener's backlog is full. */
async function connectSocket(path: string): Promise<sys.Fd> {
  for (let attempt = 0; ; attempt++) {
    try {
      return sys.connect(path);
    } catch (error) {
      if (sys.isSysError(error, 'EAGAIN') && attempt < 100) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        continue;
      }
      if (sys.isSysError(error, 'ENOENT') || sys.isSysError(error, 'ECONNREFUSED')) {
        throw new NoServerError(path, (error as sys.SysError).code);
      }
      throw error;
    }
  }
}

/** Nothing listens at the path. The message ends with `hint`: what starts a server there. */
export class NoServerError extends Error {
  override name = 'NoServerError';

  constructor(
    readonly path: string,
    readonly code: string,
    hint = `start one with famez server -S ${path}`,
  ) {
    super(`no ivshmem server at ${path} (${code}): ${hint}`);
  }
}
