// The listening side of the server: a socket it makes at a path (a stale one
// replaced, never a live one) or one it adopts (systemd, an fd); fds held back
// for the next joins, each join paid from them, and one kept to accept a peer
// only to refuse it when they are spent; and accepting, paused with a backoff
// when accept fails (the listener is level-triggered: an immediate retry would spin).
import * as sys from '../sys/index.js';
import { AcceptBackoff } from './accept-backoff.js';
import { readFdLimit } from './fd-budget.js';
import { FdReserve } from './fd-reserve.js';
import { clearSocketPath, listenError, removeOwnSocket, socketIdentity } from './socket-path.js';
import { takeSystemdListener } from './socket-activation.js';

export interface AcceptorOptions {
  socketPath: string;
  socketMode?: number;
  socketGroup?: number;
  /** An inherited listening socket: an fd, 'systemd' (the default) or 'none'. */
  listenFd?: sys.Fd | 'systemd' | 'none';
}

export interface AcceptorHooks {
  /** A new connection (its fd is the hook's); `shortOfFds`: why no fds are left for it to join (refuse it). */
  connection(fd: sys.Fd, shortOfFds?: string): void;
  /** Fds one join needs (held back, for a few joins, in between). */
  reserveSize(): number;
  warn(message: string): void;
}

/** Joins at once the reserve pays for, within a quarter of RLIMIT_NOFILE; more are refused, each with the reason. */
const JOINS_AT_ONCE = 8;

export class Acceptor {
  readonly #options: AcceptorOptions;
  readonly #hooks: AcceptorHooks;
  readonly #reserve = new FdReserve();
  readonly #backoff = new AcceptBackoff();
  #fdLimit = Infinity;
  #fd?: sys.Fd;
  #watcher?: sys.Watcher;
  /** The socket file made here (removed at close only if it is still this one). */
  #identity?: { dev: number; ino: number };

  constructor(options: AcceptorOptions, hooks: AcceptorHooks) {
    this.#options = options;
    this.#hooks = hooks;
  }

  get listening(): boolean {
    return this.#fd !== undefined;
  }

  /** Listens (or adopts the inherited listener) and starts accepting; on failure nothing is left open. */
  open(): void {
    try {
      const inherited = this.#inherited();
      if (inherited !== undefined) {
        sys.adoptListener(inherited);
        this.#fd = inherited;
      } else {
        const path = this.#options.socketPath;
        if (clearSocketPath(path)) this.#hooks.warn(`replaced stale socket ${path}`);
        this.#fd = this.#bind(path);
        this.#identity = socketIdentity(path);
      }
      this.#fdLimit = readFdLimit().soft;
      this.#reserve.fill(this.#reserveTarget(this.#hooks.reserveSize()));
      this.#watcher = sys.Watcher.fd(this.#fd, () => this.#acceptAll());
      this.#watcher.start(sys.READABLE);
    } catch (error) {
      this.close();
      throw error;
    }
  }

  /** Stops accepting, closes the listener, removes the socket file made here. */
  close(): void {
    this.#watcher?.close();
    if (this.#fd !== undefined) sys.close(this.#fd);
    if (this.#identity) removeOwnSocket(this.#options.socketPath, this.#identity);
    this.#reserve.release();
    this.#watcher = this.#fd = this.#identity = undefined;
  }

  #bind(path: string): sys.Fd {
    try {
      return sys.listen(path, this.#options.socketMode ?? 0o600, this.#options.socketGroup);
    } catch (error) {
      throw listenError(path, error);
    }
  }

  #inherited(): sys.Fd | undefined {
    const option = this.#options.listenFd ?? 'systemd';
    return option === 'none' ? undefined : option === 'systemd' ? takeSystemdListener() : option;
  }

  /**
   * A few joins' fds and one to refuse with; beyond one join's, at most a quarter of the limit (the rest is the
   * process's).
   */
  #reserveTarget(perJoin: number): number {
    return Math.min(perJoin * JOINS_AT_ONCE + 1, Math.max(perJoin + 1, Math.floor(this.#fdLimit / 4)));
  }

  /**
   * Accepts every waiting connection. Each join is paid from the reserve (its
   * share let go just before); once it holds less than a join and one fd, the
   * last fd takes the connection only to refuse it, so each peer too many hears
   * a refusal with the reason instead of failing half-way. The reserve is
   * taken back (what a refused peer freed, too) before each one and after.
   */
  #acceptAll(): void {
    const perJoin = this.#hooks.reserveSize();
    const target = this.#reserveTarget(perJoin);
    try {
      for (;;) {
        this.#reserve.fill(target);
        const paid = this.#reserve.size > perJoin;
        this.#reserve.letGo(paid ? perJoin : 1);
        let fd: sys.Fd | null;
        try {
          fd = sys.accept(this.#fd!);
        } catch (error) {
          return this.#pause(error as Error);
        }
        if (fd === null) return;
        this.#backoff.reset();
        this.#hooks.connection(fd, paid ? undefined : `the ${target} fds held back for joins are spent`);
      }
    } finally {
      if (this.#fd !== undefined) this.#reserve.fill(target);
    }
  }

  /**
   * accept() failed (out of fds even with the reserve let go, or something
   * unexpected): the waiting peer stays in the backlog. Stop watching the
   * listener for a while, longer each time, then try again.
   */
  #pause(error: Error): void {
    this.#watcher?.stop();
    const ms = this.#backoff.next();
    const code = sys.isSysError(error) ? error.code : undefined;
    const why =
      code === 'EMFILE' || code === 'ENFILE' ? `out of file descriptors (${code})` : `accept failed (${error.message})`;
    this.#hooks.warn(`${why}: not accepting peers for ${ms} ms`);
    setTimeout(() => {
      if (this.#fd !== undefined) this.#watcher?.start(sys.READABLE);
    }, ms).unref();
  }
}
