// The ivshmem server: admits peers, hands each the shared memory and
// everyone's doorbells, and tells the others when a peer comes or goes. The
// work is in parts: the Acceptor (listening, fds held back, backoff),
// admission, the join every peer makes, built-in ones too (join.ts), the
// PeerRegistry (who holds which id, and the messages), and SwitchedMode
// (lines, policy, delayed doorbells); this is their face.
import { EventEmitter } from 'node:events';
import { DEFAULT_SOCKET_PATH, MAX_PEER_ID, MAX_VECTORS, type Protocol } from '../protocol/message.js';
import { openBacking, type Backing } from '../memory/backing.js';
import type * as sys from '../sys/index.js';
import { Acceptor } from './acceptor.js';
import { admit } from './admission.js';
import { BuiltInPeer } from './built-in-peer.js';
import { DEFAULT_DELAY_LIMIT } from './delay-queue.js';
import { DELIVER_ALL, type ForwardingPolicy } from './forwarding.js';
import { IdAllocator } from './ids.js';
import { joinPeer, type JoinContext } from './join.js';
import { PeerRegistry, type PeerInfo } from './peer-registry.js';
import { ServerClosedError } from './server-closed.js';
import { DEFAULT_MAX_QUEUE, type ServerEvents, type ServerOptions } from './server-options.js';
import { SwitchedMode } from './switched-mode.js';

export type { PeerInfo };
export type { ServerEvents, ServerOptions } from './server-options.js';

/**
 * Most fds held back for the next join (a switched join among thousands of peers costs more: the budget check refuses
 * it then).
 */
const MAX_RESERVE = 1024;

export class FamezServer extends EventEmitter<ServerEvents> {
  readonly socketPath: string;
  readonly vectors: number;
  readonly protocol: Protocol;
  readonly maxPeers: number;
  readonly #options: ServerOptions;
  readonly #ids: IdAllocator;
  readonly #registry: PeerRegistry;
  readonly #acceptor: Acceptor;
  /** What every join needs, connected or built-in. */
  readonly #join: JoinContext;
  /** With switching: the lines, the policy, the delayed doorbells. */
  readonly #switched?: SwitchedMode;
  /** The policy a server without switching was given (kept for the getter). */
  #forwarding: ForwardingPolicy;
  #memory?: Backing;
  #closing?: Promise<void>;

  constructor(options: ServerOptions = {}) {
    super();
    this.#options = options;
    this.#forwarding = options.forwarding ?? DELIVER_ALL;
    this.socketPath = options.socketPath ?? DEFAULT_SOCKET_PATH;
    this.vectors = options.vectors ?? 1;
    this.protocol = options.protocol ?? 'qemu';
    this.maxPeers = options.maxPeers ?? 65536;
    this.#ids = new IdAllocator(options.ids ?? 'rotate', options.idRange);
    if (!Number.isInteger(this.vectors) || this.vectors < 1 || this.vectors > MAX_VECTORS) {
      throw new RangeError(`vectors must be from 1 to ${MAX_VECTORS}, not ${this.vectors}`);
    }
    if (!Number.isInteger(this.maxPeers) || this.maxPeers < 1 || this.maxPeers > 65536) {
      throw new RangeError(`maxPeers must be from 1 to 65536, not ${this.maxPeers}`);
    }
    const warn = (message: string): void => {
      this.emit('warning', message);
    };
    let switched: SwitchedMode | undefined;
    // Switched, the registry hands out lines the SwitchedMode over it makes.
    this.#registry = new PeerRegistry(
      this.protocol,
      options.recycle ?? false,
      options.switched
        ? (registry) =>
            (switched = new SwitchedMode(registry, {
              vectors: this.vectors,
              forwarding: this.#forwarding,
              maxDelayed: options.maxDelayed,
              recycle: options.recycle ?? false,
              warn,
            }))
        : undefined,
    );
    this.#switched = switched;
    this.#join = { vectors: this.vectors, registry: this.#registry, switched, memoryFd: () => this.memory.fd };
    this.#acceptor = new Acceptor(
      {
        socketPath: this.socketPath,
        socketMode: options.socketMode,
        socketGroup: options.socketGroup,
        listenFd: options.listenFd,
      },
      { connection: (fd, shortOfFds) => this.#admit(fd, shortOfFds), reserveSize: () => this.#reserveSize(), warn },
    );
  }

  get switched(): boolean {
    return this.#switched !== undefined;
  }

  /** The policy switched doorbells pass through (replaceable while running). */
  get forwarding(): ForwardingPolicy {
    return this.#switched?.forwarding ?? this.#forwarding;
  }

  set forwarding(policy: ForwardingPolicy) {
    this.#forwarding = policy;
    if (this.#switched) this.#switched.forwarding = policy;
  }

  /** Delayed switched doorbells waiting now, and those dropped because too many waited. */
  get delayedDoorbells(): { waiting: number; dropped: number; limit: number } {
    return (
      this.#switched?.delayedDoorbells ?? {
        waiting: 0,
        dropped: 0,
        limit: this.#options.maxDelayed ?? DEFAULT_DELAY_LIMIT,
      }
    );
  }

  /** The peers present now, by id. */
  get peers(): ReadonlyMap<number, PeerInfo> {
    return this.#registry.peers;
  }

  /** Messages (join and leave notices, fds) waiting to be written to each connected peer, by id. */
  queueDepths(): Map<number, number> {
    return this.#registry.queueDepths();
  }

  /** Connected peers (not built-in ones). */
  get connectedPeers(): number {
    return this.#registry.connected;
  }

  /**
   * Adds a peer the server itself holds: it gets `vectors` eventfds, is
   * advertised to every peer like any other, and its doorbells are delivered
   * to the returned object, which can ring every peer. Its id is never given
   * to a connecting peer. With `switched` on a switched server its doorbells
   * both ways pass the forwarding policy, as a connected peer's do (a
   * cluster's remote peer); otherwise they stay direct (the fabric's switch).
   */
  addBuiltInPeer(id: number, options: { switched?: boolean } = {}): BuiltInPeer {
    if (this.#closing !== undefined) throw new ServerClosedError('the server is closed');
    if (!Number.isInteger(id) || id < 0 || id > MAX_PEER_ID)
      throw new RangeError(`a peer id is from 0 to ${MAX_PEER_ID}, not ${id}`);
    const registry = this.#registry;
    if (registry.peers.has(id)) throw new Error(`peer id ${id} is taken`);
    const switched = options.switched === true ? this.#switched : undefined;
    let builtIn: BuiltInPeer | undefined;
    joinPeer(id, this.#join, {
      lines: switched ? 'to' : 'none',
      make: (eventfds) => {
        builtIn = new BuiltInPeer(
          id,
          eventfds,
          (peer, vector, count) =>
            switched ? switched.ringFrom(id, peer, vector, count) : registry.ringReal(peer, vector, count),
          switched !== undefined,
        );
        registry.builtIns.set(id, builtIn);
        return { id, vectors: this.vectors, joinedAt: new Date(), eventfds, knows: new Set() };
      },
    });
    return builtIn!;
  }

  /** Removes a built-in peer: it leaves as a connected peer would (kept for its id with recycling). */
  removeBuiltInPeer(id: number, reason: string): void {
    const builtIn = this.#registry.builtIns.get(id);
    if (!builtIn) throw new Error(`peer ${id} is not a built-in peer`);
    builtIn.close();
    this.#registry.builtIns.delete(id);
    this.#leave(id, reason);
  }

  get memory(): Backing {
    if (!this.#memory) throw new ServerClosedError('the server is not listening');
    return this.#memory;
  }

  /** Opens the memory and starts listening. */
  async listen(): Promise<void> {
    if (this.#closing !== undefined)
      throw new ServerClosedError('the server is closed: create a new one to listen again');
    if (this.#acceptor.listening) throw new Error('the server is already listening');
    const warn = (message: string): void => {
      this.emit('warning', message);
    };
    this.#memory = openBacking(this.#options.memory ?? { kind: 'shm', name: 'ivshmem' }, warn);
    this.#registry.holdMemory(this.#memory.fd);
    try {
      this.#switched?.checkFits(this.maxPeers);
      this.#acceptor.open();
    } catch (error) {
      // A failed start leaves nothing behind that it made.
      const memory = this.#memory;
      this.#release();
      memory?.removeIfCreated();
      throw error;
    }
    this.emit('listening');
  }

  /** Closes every peer, syncs a file backing, removes the socket file. */
  close(): Promise<void> {
    this.#closing ??= Promise.resolve().then(() => {
      this.#switched?.close();
      this.#registry.clear();
      this.#release();
      this.emit('close');
    });
    return this.#closing;
  }

  #release(): void {
    this.#acceptor.close();
    if (this.#memory) {
      try {
        this.#memory.sync();
      } finally {
        this.#memory.close();
      }
    }
    this.#registry.forgetHanded();
    this.#memory = undefined;
  }

  /**
   * Fds one more join takes: its socket and doorbells (switched: the lines both ways), and one spare to refuse with.
   */
  #reserveSize(): number {
    return Math.min(this.#switched?.joinCost() ?? this.vectors, MAX_RESERVE) + 2;
  }

  #admit(fd: sys.Fd, shortOfFds?: string): void {
    admit(fd, {
      shortOfFds,
      ...this.#join,
      protocol: this.protocol,
      maxPeers: this.maxPeers,
      maxQueue: this.#options.maxQueue ?? DEFAULT_MAX_QUEUE,
      ids: this.#ids,
      check: this.#options.admit,
      reserved: this.#options.reserved,
      noFreeId: this.#options.noFreeId,
      moreIds: this.#options.moreIds,
      leave: (id, reason) => this.#leave(id, reason),
      joining: (peer) => this.emit('peer-joining', peer),
      joined: (peer) => this.emit('peer-joined', peer),
      refused: (credentials, reason) => this.emit('peer-refused', credentials, reason),
    });
  }

  #leave(id: number, reason: string): void {
    if (this.#closing !== undefined) return;
    const peer = this.#registry.leave(id);
    if (peer) this.emit('peer-left', peer, reason);
  }
}

export function createServer(options?: ServerOptions): FamezServer {
  return new FamezServer(options);
}
