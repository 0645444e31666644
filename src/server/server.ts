// The ivshmem server: admits peers, hands each the shared memory and
// everyone's doorbells, and tells the others when a peer comes or goes.
import { EventEmitter } from 'node:events';
import { joinMessages, leaveMessages, refusalMessage, type Outgoing } from '../protocol/handshake.js';
import { DEFAULT_SOCKET_PATH, encode, MAX_VECTORS, type Protocol } from '../protocol/message.js';
import { openBacking, type Backing, type BackingSpec } from '../memory/backing.js';
import * as sys from '../sys/index.js';
import { IdAllocator, type IdPolicy } from './ids.js';
import { PeerSocket } from './peer-socket.js';
import { SharedFd } from './shared-fd.js';
import { clearSocketPath, removeOwnSocket, socketIdentity } from './socket-path.js';

/** Messages that may wait for a peer beyond its own handshake. */
export const DEFAULT_MAX_QUEUE = 65536;

export interface ServerOptions {
  /** Listening socket (QEMU's default /tmp/ivshmem_socket). */
  socketPath?: string;
  /** The shared memory (default: POSIX shm "ivshmem" of 4 MiB). */
  memory?: BackingSpec;
  /** Doorbells per peer, 1..256 (default 1). */
  vectors?: number;
  protocol?: Protocol;
  ids?: IdPolicy;
  /** At most this many peers at once (default 65536). */
  maxPeers?: number;
  /** Socket file mode (default 0o600). */
  socketMode?: number;
  /** Group (gid) given to the socket file. */
  socketGroup?: number;
  /** Messages that may wait for a peer that does not read before it is dropped. */
  maxQueue?: number;
  /** Admission check: a refusal reason, or undefined to admit. */
  admit?: (credentials: sys.Credentials) => string | undefined;
}

export interface PeerInfo {
  readonly id: number;
  readonly vectors: number;
  /** Who connected (absent for a peer the server runs itself). */
  readonly credentials?: sys.Credentials;
  readonly joinedAt: Date;
  /** The server's eventfds for this peer's vectors (as QEMU's server dump shows them). */
  readonly eventfds: readonly sys.Fd[];
}

interface Peer extends PeerInfo {
  readonly socket?: PeerSocket;
}

export interface ServerEvents {
  listening: [];
  'peer-joined': [PeerInfo];
  'peer-left': [PeerInfo, string];
  'peer-refused': [sys.Credentials | undefined, string];
  warning: [string];
  error: [Error];
  close: [];
}

export class FamezServer extends EventEmitter<ServerEvents> {
  readonly socketPath: string;
  readonly vectors: number;
  readonly protocol: Protocol;
  readonly maxPeers: number;
  readonly #options: ServerOptions;
  readonly #ids: IdAllocator;
  readonly #peers = new Map<number, Peer>();
  /** Every fd the server hands out (memory, eventfds), by number. */
  readonly #handed = new Map<sys.Fd, SharedFd>();
  #memory?: Backing;
  #listenFd?: sys.Fd;
  #listenWatcher?: sys.Watcher;
  #identity?: { dev: number; ino: number };
  /** Held open so that a peer can be refused cleanly when fds run out. */
  #reserveFd?: sys.Fd;
  #closing?: Promise<void>;

  constructor(options: ServerOptions = {}) {
    super();
    this.#options = options;
    this.socketPath = options.socketPath ?? DEFAULT_SOCKET_PATH;
    this.vectors = options.vectors ?? 1;
    this.protocol = options.protocol ?? 'qemu';
    this.maxPeers = options.maxPeers ?? 65536;
    this.#ids = new IdAllocator(options.ids ?? 'rotate');
    if (!Number.isInteger(this.vectors) || this.vectors < 1 || this.vectors > MAX_VECTORS) {
      throw new RangeError(`vectors must be from 1 to ${MAX_VECTORS}, not ${this.vectors}`);
    }
    if (!Number.isInteger(this.maxPeers) || this.maxPeers < 1 || this.maxPeers > 65536) {
      throw new RangeError(`maxPeers must be from 1 to 65536, not ${this.maxPeers}`);
    }
  }

  /** The peers present now, by id. */
  get peers(): ReadonlyMap<number, PeerInfo> {
    return this.#peers;
  }

  get memory(): Backing {
    if (!this.#memory) throw new Error('the server is not listening');
    return this.#memory;
  }

  /** Opens the memory and starts listening. */
  async listen(): Promise<void> {
    if (this.#closing) throw new Error('the server is closed: create a new one to listen again');
    if (this.#listenFd !== undefined) throw new Error('the server is already listening');
    const warn = (message: string): void => { this.emit('warning', message); };
    this.#memory = openBacking(this.#options.memory ?? { kind: 'shm', name: 'ivshmem' }, warn);
    // The backing owns the memory fd: the extra reference keeps queues from closing it.
    this.#handed.set(this.#memory.fd, new SharedFd(this.#memory.fd).retain());
    try {
      if (clearSocketPath(this.socketPath)) warn(`replaced stale socket ${this.socketPath}`);
      this.#listenFd = sys.listen(this.socketPath, this.#options.socketMode ?? 0o600, this.#options.socketGroup);
      this.#identity = socketIdentity(this.socketPath);
      this.#reserveFd = sys.openFile('/dev/null', { readOnly: true });
      this.#listenWatcher = sys.Watcher.fd(this.#listenFd, () => this.#acceptAll());
      this.#listenWatcher.start(sys.READABLE);
    } catch (error) {
      this.#release();
      throw error;
    }
    this.emit('listening');
  }

  /** Closes every peer, syncs a file backing, removes the socket file. */
  close(): Promise<void> {
    this.#closing ??= Promise.resolve().then(() => {
      for (const peer of this.#peers.values()) this.#dispose(peer);
      this.#peers.clear();
      this.#release();
      this.emit('close');
    });
    return this.#closing;
  }

  #release(): void {
    this.#listenWatcher?.close();
    if (this.#listenFd !== undefined) sys.close(this.#listenFd);
    if (this.#identity) removeOwnSocket(this.socketPath, this.#identity);
    if (this.#reserveFd !== undefined) sys.close(this.#reserveFd);
    if (this.#memory) {
      try {
        this.#memory.sync();
      } finally {
        this.#memory.close();
      }
    }
    this.#handed.clear();
    this.#listenWatcher = this.#listenFd = this.#identity = this.#reserveFd = this.#memory = undefined;
  }

  #acceptAll(): void {
    for (;;) {
      let fd: sys.Fd | null;
      try {
        fd = sys.accept(this.#listenFd!);
      } catch (error) {
        if (this.#refuseForLackOfFds(error)) continue;
        if (sys.isSysError(error, 'EMFILE') || sys.isSysError(error, 'ENFILE')) return this.#pauseAccepting(error);
        this.emit('error', error as Error);
        return;
      }
      if (fd === null) return;
      this.#admit(fd);
    }
  }

  /** Out of fds: free the reserve to accept and refuse one waiting peer. */
  #refuseForLackOfFds(error: unknown): boolean {
    if (!(sys.isSysError(error, 'EMFILE') || sys.isSysError(error, 'ENFILE')) || this.#reserveFd === undefined) return false;
    sys.close(this.#reserveFd);
    this.#reserveFd = undefined;
    try {
      const fd = sys.accept(this.#listenFd!);
      if (fd !== null) this.#refuse(fd, undefined, `out of file descriptors (${(error as sys.SysError).code})`);
      return fd !== null;
    } finally {
      try {
        this.#reserveFd = sys.openFile('/dev/null', { readOnly: true });
      } catch {
        // still exhausted: the next accept error tries again
      }
    }
  }

  /**
   * Out of fds with no reserve left to refuse with: the waiting peer stays in
   * the backlog. The listener is level-triggered, so stop watching it for a
   * moment instead of spinning, then try again.
   */
  #pauseAccepting(error: sys.SysError): void {
    this.#listenWatcher?.stop();
    this.emit('warning', `out of file descriptors (${error.code}): not accepting peers for 100 ms`);
    setTimeout(() => {
      if (this.#listenFd === undefined) return;
      try {
        this.#reserveFd ??= sys.openFile('/dev/null', { readOnly: true });
      } catch {
        // still exhausted: accept fails again and pauses again
      }
      this.#listenWatcher?.start(sys.READABLE);
    }, 100).unref();
  }

  #admit(fd: sys.Fd): void {
    let credentials: sys.Credentials | undefined;
    try {
      credentials = sys.peerCredentials(fd);
    } catch (error) {
      return this.#refuse(fd, undefined, `no credentials: ${(error as Error).message}`);
    }
    const early = this.#early(fd);
    if (early) {
      sys.close(fd);
      this.emit('peer-refused', credentials, early);
      return;
    }
    const refusal = this.#options.admit?.(credentials) ??
      (this.#peers.size >= this.maxPeers ? `server full (${this.maxPeers} peers)` : undefined);
    if (refusal) return this.#refuse(fd, credentials, refusal);
    const id = this.#ids.allocate((candidate) => this.#peers.has(candidate));
    if (id === undefined) return this.#refuse(fd, credentials, 'no free peer id');
    const eventfds: sys.Fd[] = [];
    try {
      for (let v = 0; v < this.vectors; v++) eventfds.push(sys.createEventfd());
    } catch (error) {
      eventfds.forEach(sys.close);
      return this.#refuse(fd, credentials, `cannot create doorbells: ${(error as Error).message}`);
    }
    eventfds.forEach((eventfd) => this.#hand(eventfd));
    const socket = new PeerSocket(fd, this.#options.maxQueue ?? DEFAULT_MAX_QUEUE, (reason) => this.#leave(id, reason));
    this.#join({ id, vectors: this.vectors, credentials, joinedAt: new Date(), eventfds, socket });
  }

  /** Why a connection is no peer: it hung up or sent something before it was admitted. */
  #early(fd: sys.Fd): string | undefined {
    try {
      const got = sys.receive(fd, 1);
      if (got === null) return undefined;
      got.fds.forEach(sys.close);
      return got.bytes.length === 0 ? 'hung up before joining' : 'sent data before joining';
    } catch {
      return 'hung up before joining';
    }
  }

  #join(peer: Peer): void {
    const others = [...this.#peers.values()].sort((a, b) => a.id - b.id);
    this.#peers.set(peer.id, peer);
    const messages = joinMessages(this.protocol, peer, others, this.memory.fd);
    // The newcomer's handshake is sent at once: it may wait on top of the bound.
    peer.socket?.allowBurst(messages.filter((message) => message.to === peer.id).length);
    this.#dispatch(messages);
    this.emit('peer-joined', peer);
  }

  #leave(id: number, reason: string): void {
    const peer = this.#peers.get(id);
    if (!peer || this.#closing) return;
    this.#peers.delete(id);
    this.#dispose(peer);
    this.#dispatch(leaveMessages(id, [...this.#peers.keys()]));
    this.emit('peer-left', peer, reason);
  }

  #dispatch(messages: Outgoing[]): void {
    for (const message of messages) {
      this.#peers.get(message.to)?.socket?.send(message.value, message.fd === undefined ? undefined : this.#handed.get(message.fd));
    }
  }

  #hand(fd: sys.Fd): void {
    this.#handed.set(fd, new SharedFd(fd));
  }

  /** Lets go of an fd; it closes once no queued message carries it. */
  #letGo(fd: sys.Fd): void {
    this.#handed.get(fd)?.release();
    this.#handed.delete(fd);
  }

  #dispose(peer: Peer): void {
    peer.socket?.close();
    peer.eventfds.forEach((fd) => this.#letGo(fd));
  }

  /** One message the peer cannot mistake, then the door closes. No other peer hears of it. */
  #refuse(fd: sys.Fd, credentials: sys.Credentials | undefined, reason: string): void {
    try {
      sys.send(fd, encode(refusalMessage(this.protocol)));
    } catch {
      // it is gone already
    }
    sys.close(fd);
    this.emit('peer-refused', credentials, reason);
  }
}

export function createServer(options?: ServerOptions): FamezServer {
  return new FamezServer(options);
}
