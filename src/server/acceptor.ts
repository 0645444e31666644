// The listening side of the server: a socket it makes at a path (a stale one
// replaced, never a live one) or one it adopts (systemd, an fd); fds held back
// for the next join; and accepting, paused with a backoff when accept fails
// (the listener is level-triggered: an immediate retry would spin).
import * as sys from '../sys/index.js';
import { AcceptBackoff } from './accept-backoff.js';
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
  /** A new connection (its fd is the hook's). */
  connection(fd: sys.Fd): void;
  /** Fds the next join needs (held back in between). */
  reserveSize(): number;
  warn(message: string): void;
}

export class Acceptor {
  readonly #options: AcceptorOptions;
  readonly #hooks: AcceptorHooks;
  readonly #reserve = new FdReserve();
  readonly #backoff = new AcceptBackoff();
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
      this.#reserve.fill(this.#hooks.reserveSize());
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

  /** Accepts every waiting connection, with the reserve let go (the join may use its fds) and taken again after. */
  #acceptAll(): void {
    this.#reserve.release();
    try {
      for (;;) {
        let fd: sys.Fd | null;
        try {
          fd = sys.accept(this.#fd!);
        } catch (error) {
          return this.#pause(error as Error);
        }
        if (fd === null) return;
        this.#backoff.reset();
        this.#hooks.connection(fd);
      }
    } finally {
      if (this.#fd !== undefined) this.#reserve.fill(this.#hooks.reserveSize());
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
