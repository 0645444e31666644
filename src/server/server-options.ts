// What a FamezServer is given (ServerOptions) and what it tells (ServerEvents).
import type { Protocol } from '../protocol/message.js';
import type { BackingSpec } from '../memory/backing.js';
import type * as sys from '../sys/index.js';
import type { ForwardingPolicy } from './forwarding.js';
import type { IdPolicy, IdRange } from './ids.js';
import type { PeerInfo } from './peer-registry.js';

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
   * `forwarding`. Doorbells to and from built-in peers stay direct, but for
   * those added with `switched` (see addBuiltInPeer) (default false).
   */
  switched?: boolean;
  /** Delayed switched doorbells held at most at once; more are dropped and counted (default 65536). */
  maxDelayed?: number;
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
  /**
   * Why no id is free when a peer is refused for want of one (default: the server is full); with `reserved`, its owner
   * knows better.
   */
  noFreeId?: () => string;
  /** With none free, a join waits for this once (true: an id was made free, e.g. claimed across a cluster). */
  moreIds?: () => Promise<boolean>;
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
