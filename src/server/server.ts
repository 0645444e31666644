// The ivshmem server: admits peers, hands each the shared memory and
// everyone's doorbells, and tells the others when a peer comes or goes.
import { EventEmitter } from 'node:events';
import { joinMessages, leaveMessages, refusalMessage, type Outgoing } from '../protocol/handshake.js';
import { DEFAULT_SOCKET_PATH, encode, MAX_PEER_ID, MAX_VECTORS, type Protocol } from '../protocol/message.js';
import { openBacking, type Backing, type BackingSpec } from '../memory/backing.js';
import * as sys from '../sys/index.js';
import { BuiltInPeer } from './built-in-peer.js';
import { DelayQueue } from './delay-queue.js';
import { fdShortage, openFdCount, peersThatFit, readFdLimit, switchedJoinCost } from './fd-budget.js';
import { DELIVER_ALL, type ForwardingPolicy } from './forwarding.js';
import { Switchboard } from './switchboard.js';
import { IdAllocator, type IdPolicy, type IdRange } from './ids.js';
import { PeerSocket } from './peer-socket.js';
import { SharedFd } from './shared-fd.js';
import { clearSocketPath, removeOwnSocket, socketIdentity } from './socket-path.js';
import { takeSystemdListener } from './socket-activation.js';

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
  /** The ids peers may get (default 0..65535). */
  idRange?: IdRange;
  /**
   * Keep a leaving peer's doorbells for its id and hand them to the next peer
   * given that id; the others hear neither the leave nor the join, so a QEMU
   * guest keeps reaching whoever holds the id (default false).
   */
  recycle?: boolean;
  /** At most this many connected peers at once (default 65536). */
  maxPeers?: number;
  /** Socket file mode (default 0o600). */
  socketMode?: number;
  /** Group (gid) given to the socket file. */
  socketGroup?: number;
  /** Messages that may wait for a peer that does not read before it is dropped. */
  maxQueue?: number;
  /** Admission check: a refusal reason, or undefined to admit. */
  admit?: (credentials: sys.Credentials) => string | undefined;
  /**
   * Switched doorbells: each peer gets, for every other peer and vector, an
   * eventfd of its own that the server watches and passes on through
   * `forwarding`. Doorbells to and from built-in peers stay direct (default false).
   */
  switched?: boolean;
  /** Decides each switched doorbell (default: every one passes at once). */
  forwarding?: ForwardingPolicy;
  /**
   * An inherited listening socket to serve instead of creating one at
   * socketPath: an fd, 'systemd' (fd 3 when LISTEN_PID/LISTEN_FDS say so, the
   * default) or 'none'. Its file belongs to whoever made it: never removed.
   */
  listenFd?: sys.Fd | 'systemd' | 'none';
  /** Ids held elsewhere (another host of a cluster): never given to a connecting peer. */
  reserved?: (id: number) => boolean;
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
  /** The ids whose doorbells this peer holds (has been told of). */
  readonly knows: Set<number>;
}

export interface ServerEvents {
  listening: [];
  /** A peer is admitted, before it or anyone else hears of it: prepare what it will find. */
  'peer-joining': [PeerInfo];
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
  readonly #builtIns = new Map<number, BuiltInPeer>();
  /** With recycling: the doorbells of ids whose peer left, for the next peer given the id. */
  readonly #recycled = new Map<number, sys.Fd[]>();
  /** Every fd the server hands out (memory, eventfds), by number. */
  readonly #handed = new Map<sys.Fd, SharedFd>();
  #memory?: Backing;
  #listenFd?: sys.Fd;
  #listenWatcher?: sys.Watcher;
  #identity?: { dev: number; ino: number };
  /** Held open so that a peer can be refused cleanly when fds run out. */
  #reserveFd?: sys.Fd;
  #closing?: Promise<void>;
  /** With switching: the lines each sender rings, and the doorbells held back. */
  readonly #board?: Switchboard;
  readonly #delayed = new DelayQueue();
  #forwarding: ForwardingPolicy;

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
    if (options.switched) {
      this.#board = new Switchboard(this.vectors, {
        onRing: (from, to, vector, count) => this.#forward(from, to, vector, count),
        relayTarget: (from, to, vector) => (this.#forwarding.bypasses?.(from, to) ? this.#realEventfd(to, vector) : undefined),
        relayed: (from, to, vector, count) => this.#forwarding.passed?.({ from, to, vector, count }),
        hand: (fd) => this.#hand(fd),
        letGo: (fd) => this.#letGo(fd),
      });
      this.#attachForwarding();
    }
  }

  get switched(): boolean {
    return this.#board !== undefined;
  }

  /** The policy switched doorbells pass through (replaceable while running). */
  get forwarding(): ForwardingPolicy {
    return this.#forwarding;
  }

  set forwarding(policy: ForwardingPolicy) {
    this.#board?.report();
    this.#forwarding = policy;
    this.#attachForwarding();
    this.#board?.refresh();
  }

  /** Gives the policy the server's side of the fast path (see ForwardingPolicy.attach). */
  #attachForwarding(): void {
    if (!this.#board) return;
    const board = this.#board;
    this.#forwarding.attach?.({ report: () => board.report(), refresh: () => board.refresh() });
  }

  /** A sender rang its line to `to`: the policy decides what `to` gets. */
  #forward(from: number, to: number, vector: number, count: number): void {
    const verdict = this.#forwarding.forward({ from, to, vector, count });
    if (verdict.kind === 'drop') return;
    const passing = verdict.count ?? count;
    if (passing <= 0) return;
    if (verdict.kind === 'deliver') this.#ringReal(to, vector, passing);
    else {
      // Held back for the peer holding `to` now: a later holder of the id does not get it.
      const holder = this.#peers.get(to);
      this.#delayed.add(verdict.us, () => { if (this.#peers.get(to) === holder) this.#ringReal(to, vector, passing); });
    }
  }

  /** The peers present now, by id. */
  get peers(): ReadonlyMap<number, PeerInfo> {
    return this.#peers;
  }

  /** Messages (join and leave notices, fds) waiting to be written to each connected peer, by id. */
  queueDepths(): Map<number, number> {
    const depths = new Map<number, number>();
    for (const [id, peer] of this.#peers) if (peer.socket) depths.set(id, peer.socket.queued);
    return depths;
  }

  /** Connected peers (not built-in ones). */
  get connectedPeers(): number {
    return this.#peers.size - this.#builtIns.size;
  }

  /**
   * Adds a peer the server itself holds: it gets `vectors` eventfds, is
   * advertised to every peer like any other, and its doorbells are delivered
   * to the returned object, which can ring every peer. Its id is never given
   * to a connecting peer.
   */
  addBuiltInPeer(id: number): BuiltInPeer {
    if (this.#closing) throw new Error('the server is closed');
    if (!Number.isInteger(id) || id < 0 || id > MAX_PEER_ID) throw new RangeError(`a peer id is from 0 to ${MAX_PEER_ID}, not ${id}`);
    if (this.#peers.has(id)) throw new Error(`peer id ${id} is taken`);
    // With recycling the others still hold the id's doorbells: the built-in peer takes them over.
    const recycled = this.#recycled.get(id);
    this.#recycled.delete(id);
    if (recycled) this.#forgetStaleRings(id, recycled);
    const eventfds = recycled ?? sys.createEventfds(this.vectors);
    if (!recycled) eventfds.forEach((eventfd) => this.#hand(eventfd));
    const builtIn = new BuiltInPeer(id, eventfds, (peer, vector) => this.#ring(peer, vector));
    this.#builtIns.set(id, builtIn);
    this.#join({ id, vectors: this.vectors, joinedAt: new Date(), eventfds, knows: new Set() });
    return builtIn;
  }

  /** Removes a built-in peer: it leaves as a connected peer would (kept for its id with recycling). */
  removeBuiltInPeer(id: number, reason: string): void {
    const builtIn = this.#builtIns.get(id);
    if (!builtIn) throw new Error(`peer ${id} is not a built-in peer`);
    builtIn.close();
    this.#builtIns.delete(id);
    this.#leave(id, reason);
  }

  /** Rings `vector` of peer `id` on behalf of a built-in peer: false when no peer holds the id. */
  #ring(id: number, vector: number): boolean {
    return this.#ringReal(id, vector, 1);
  }

  /** Rings the receiver's own eventfd (whoever holds the id now, or its recycled doorbells). */
  #ringReal(id: number, vector: number, count: number): boolean {
    const eventfd = this.#realEventfd(id, vector);
    if (eventfd === undefined) return false;
    return sys.ringEventfd(eventfd, count);
  }

  /** The eventfd peer `id` itself reads for `vector` (kept for its id while recycled). */
  #realEventfd(id: number, vector: number): sys.Fd | undefined {
    return (this.#peers.get(id)?.eventfds ?? this.#recycled.get(id))?.[vector];
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
      if (this.#board) this.#checkSwitchingFits(warn);
      const inherited = this.#inheritedListener();
      if (inherited !== undefined) {
        sys.adoptListener(inherited);
        this.#listenFd = inherited;
      } else {
        if (clearSocketPath(this.socketPath)) warn(`replaced stale socket ${this.socketPath}`);
        this.#listenFd = sys.listen(this.socketPath, this.#options.socketMode ?? 0o600, this.#options.socketGroup);
        this.#identity = socketIdentity(this.socketPath);
      }
      this.#reserveFd = sys.openFile('/dev/null', { readOnly: true });
      this.#listenWatcher = sys.Watcher.fd(this.#listenFd, () => this.#acceptAll());
      this.#listenWatcher.start(sys.READABLE);
    } catch (error) {
      // A failed start leaves nothing behind that it made.
      const memory = this.#memory;
      this.#release();
      memory?.removeIfCreated();
      throw error;
    }
    this.emit('listening');
  }

  #inheritedListener(): sys.Fd | undefined {
    const option = this.#options.listenFd ?? 'systemd';
    return option === 'none' ? undefined : option === 'systemd' ? takeSystemdListener() : option;
  }

  /** Refuses to start when not even two switched peers fit in RLIMIT_NOFILE; warns when maxPeers do not. */
  #checkSwitchingFits(warn: (message: string) => void): void {
    const limit = readFdLimit();
    const open = openFdCount();
    const fit = peersThatFit(limit.soft - open - 64, this.vectors);
    if (fit < 2) {
      throw new Error(`switched doorbells: with ${this.vectors} vectors two peers need ${switchedJoinCost(1, this.vectors) + this.vectors} fds, ` +
        `but ${open} of the limit (RLIMIT_NOFILE) of ${limit.soft} are open: raise the limit (ulimit -n)`);
    }
    if (fit < this.maxPeers && this.maxPeers < 65536) {
      warn(`switched doorbells: about ${fit} peers fit in the fd limit (RLIMIT_NOFILE) of ${limit.soft} with ${this.vectors} vectors, ` +
        `fewer than ${this.maxPeers}: later peers will be refused`);
    }
  }

  /** Closes every peer, syncs a file backing, removes the socket file. */
  close(): Promise<void> {
    this.#closing ??= Promise.resolve().then(() => {
      // Watchers stop before their eventfds close.
      for (const builtIn of this.#builtIns.values()) builtIn.close();
      this.#builtIns.clear();
      this.#board?.close();
      this.#delayed.clear();
      for (const peer of this.#peers.values()) this.#dispose(peer);
      this.#peers.clear();
      for (const eventfds of this.#recycled.values()) eventfds.forEach((fd) => this.#letGo(fd));
      this.#recycled.clear();
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
      (this.connectedPeers >= this.maxPeers ? `server full (${this.maxPeers} peers)` : undefined);
    if (refusal) return this.#refuse(fd, credentials, refusal);
    const reserved = this.#options.reserved;
    const id = this.#ids.allocate((candidate) => this.#peers.has(candidate) || reserved?.(candidate) === true);
    if (id === undefined) {
      const { first, last } = this.#ids.range;
      return this.#refuse(fd, credentials, `server full (every peer id from ${first} to ${last} is taken)`);
    }
    const shortage = this.#switchingShortage(id);
    if (shortage) return this.#refuse(fd, credentials, shortage);
    const recycled = this.#recycled.get(id);
    let eventfds = recycled;
    this.#recycled.delete(id);
    if (!eventfds) {
      try {
        eventfds = sys.createEventfds(this.vectors);
      } catch (error) {
        return this.#refuse(fd, credentials, `cannot create doorbells: ${(error as Error).message}`);
      }
      eventfds.forEach((eventfd) => this.#hand(eventfd));
    }
    if (this.#board) {
      try {
        this.#connectLines(id);
      } catch (error) {
        if (recycled) this.#recycled.set(id, recycled);
        else eventfds.forEach((eventfd) => this.#letGo(eventfd));
        return this.#refuse(fd, credentials, `cannot create switched doorbells: ${(error as Error).message}`);
      }
    }
    // Rings meant for the id's last holder (or rung while it was vacant) are not the newcomer's.
    if (recycled) this.#forgetStaleRings(id, recycled);
    const socket = new PeerSocket(fd, this.#options.maxQueue ?? DEFAULT_MAX_QUEUE, (reason) => this.#leave(id, reason));
    const peer: Peer = { id, vectors: this.vectors, credentials, joinedAt: new Date(), eventfds, socket, knows: new Set() };
    this.emit('peer-joining', peer);
    this.#join(peer);
    // Its doorbells exist now: the lines to it may pass rings straight.
    this.#board?.refreshTo(id);
    this.emit('peer-joined', peer);
  }

  #forgetStaleRings(id: number, eventfds: readonly sys.Fd[]): void {
    this.#board?.drainTo(id);
    eventfds.forEach((eventfd) => sys.drainEventfd(eventfd));
  }

  /** Why the fds a switched join needs are not there (undefined: they are, or no switching). */
  #switchingShortage(id: number): string | undefined {
    if (!this.#board) return undefined;
    const others = this.connectedPeers;
    const cost = switchedJoinCost(others, this.vectors) - (this.#recycled.has(id) ? this.vectors : 0);
    const shortage = fdShortage(cost, openFdCount(), readFdLimit());
    return shortage && `${shortage} (${others} peers connected, ${this.vectors} vectors)`;
  }

  /** Makes the lines between a newcomer and every connected peer, both ways, before anyone is told; undone when fds run out. */
  #connectLines(id: number): void {
    try {
      for (const other of this.#peers.values()) {
        if (!other.socket) continue;
        this.#board!.line(id, other.id);
        this.#board!.line(other.id, id);
      }
    } catch (error) {
      this.#board!.dropFrom(id);
      if (!this.#options.recycle) this.#board!.dropTo(id);
      throw error;
    }
  }

  /** The eventfds `to` is given for `peer`: the lines of a switched server, direct to and from built-in peers. */
  #doorbellsFor(to: number, peer: { id: number; eventfds: readonly sys.Fd[] }): readonly sys.Fd[] {
    if (!this.#board || this.#builtIns.has(to) || this.#builtIns.has(peer.id)) return peer.eventfds;
    return this.#board.line(to, peer.id);
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

  /** Hands the newcomer everyone's doorbells and its own; tells the others who do not hold its doorbells yet. */
  #join(peer: Peer): void {
    const others = [...this.#peers.values()].sort((a, b) => a.id - b.id);
    this.#peers.set(peer.id, peer);
    const announceTo = others.filter((other) => other.socket && !other.knows.has(peer.id));
    announceTo.forEach((other) => other.knows.add(peer.id));
    others.forEach((other) => peer.knows.add(other.id));
    const messages = joinMessages(this.protocol, peer, others, this.memory.fd, announceTo.map((other) => other.id),
      this.#board && ((to, of) => this.#doorbellsFor(to, of)));
    // The newcomer's handshake is sent at once: it may wait on top of the bound.
    peer.socket?.allowBurst(messages.filter((message) => message.to === peer.id).length);
    this.#dispatch(messages);
  }

  #leave(id: number, reason: string): void {
    const peer = this.#peers.get(id);
    if (!peer || this.#closing) return;
    this.#peers.delete(id);
    // Its process is gone: nobody rings the lines it was given.
    this.#board?.dropFrom(id);
    if (this.#options.recycle) {
      // The others keep its doorbells (switched: their lines to it) and hear nothing: the next peer given the id takes them over.
      peer.socket?.close();
      this.#recycled.set(id, [...peer.eventfds]);
    } else {
      this.#board?.dropTo(id);
      this.#dispose(peer);
      const remaining = [...this.#peers.values()].filter((other) => other.knows.delete(id)).map((other) => other.id);
      this.#dispatch(leaveMessages(id, remaining));
    }
    this.emit('peer-left', peer, reason);
  }

  #dispatch(messages: Outgoing[]): void {
    for (let i = 0; i < messages.length; i++) {
      const message = messages[i]!;
      const values = [message.value];
      // Messages without an fd to one peer in a row (the welcome's version and
      // id) go in one sendmsg: a reader that wakes up between them would see
      // them apart, and FAME-Z's client needs its first read to hold the
      // welcome whole. Only an fd must have a sendmsg of its own.
      while (message.fd === undefined && messages[i + 1]?.to === message.to && messages[i + 1]!.fd === undefined) values.push(messages[++i]!.value);
      this.#peers.get(message.to)?.socket?.send(values, message.fd === undefined ? undefined : this.#handed.get(message.fd));
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
