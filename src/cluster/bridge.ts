// Remote peers on the local server: each is a built-in peer (its eventfds
// held by this famez, advertised like any peer), so local peers ring it as
// they ring anyone; its doorbells come here to be carried to its node. On a
// switched server it is a switched built-in peer: the local router stands
// between it and local peers both ways, as between two local peers.
import {
  ServerClosedError,
  type BuiltInDoorbell,
  type BuiltInPeer,
  type FamezServer,
  type PeerInfo,
} from '../server/index.js';
import type { ClusterNode } from './node.js';
import type { RemotePeer } from './wire.js';

export interface BridgeHooks {
  /** A local peer rang remote peer `id`. */
  doorbell: (id: number, doorbell: BuiltInDoorbell) => void;
  /** A remote peer of host `node` appeared or changed names. */
  added?: (peer: RemotePeer, node: string) => void;
  /** The names a local peer is seen with elsewhere (a fabric's slot). */
  names?: (id: number) => Pick<RemotePeer, 'nodename' | 'cclass'>;
}

export class Bridge {
  readonly #server: FamezServer;
  readonly #node: ClusterNode;
  readonly #hooks: BridgeHooks;
  readonly #remote = new Map<number, BuiltInPeer>();
  /** Local peers (connected ones, not built-in). */
  readonly #local = new Set<number>();

  constructor(server: FamezServer, node: ClusterNode, hooks: BridgeHooks) {
    this.#server = server;
    this.#node = node;
    this.#hooks = hooks;
    server.on('peer-joined', (peer) => this.#localJoined(peer));
    server.on('peer-left', (peer) => this.#localLeft(peer));
    node.on('remote-peer', (host, peer) => this.#added(peer, host));
    node.on('remote-peer-gone', (_node, id, reason) => this.#gone(id, reason));
    node.start(() => [...this.#local].sort((a, b) => a - b).map((id) => ({ id, ...this.#hooks.names?.(id) })));
  }

  isLocal(id: number): boolean {
    return this.#local.has(id);
  }

  isRemote(id: number): boolean {
    return this.#remote.has(id);
  }

  /**
   * Rings local peer `to` on `vector` (count times) as remote peer `from`
   * (switched: through the local router on `from`'s and `to`'s links): false
   * when `to` is not here or `from` is no remote peer.
   */
  ringLocal(to: number, vector: number, count: number, from: number | undefined): boolean {
    const ringer = from === undefined ? undefined : this.#remote.get(from);
    if (!this.#local.has(to) || !ringer) return false;
    return ringer.ring(to, vector, count);
  }

  /**
   * The remote peer a ring from `node` comes from: `id` if that node holds
   * it, else any peer it holds (a sender it does not name, or names wrongly:
   * a node rings only as one of its own peers); undefined when it holds none.
   */
  sender(node: string | undefined, id: number | undefined): number | undefined {
    if (node === undefined) return undefined;
    if (id !== undefined && this.#remote.has(id) && this.#node.ownerOf(id) === node) return id;
    for (const remote of this.#remote.keys()) if (this.#node.ownerOf(remote) === node) return remote;
    return undefined;
  }

  #localJoined(peer: PeerInfo): void {
    if (!peer.credentials) return;
    this.#local.add(peer.id);
    this.#node.pool.use(peer.id);
    this.#node.announce();
  }

  #localLeft(peer: PeerInfo): void {
    if (!this.#local.delete(peer.id)) return;
    this.#node.pool.free(peer.id);
    this.#node.announce();
  }

  #added(peer: RemotePeer, host: string): void {
    if (!this.#remote.has(peer.id)) {
      if (this.#local.has(peer.id) || this.#server.peers.has(peer.id)) return;
      let builtIn: BuiltInPeer;
      try {
        builtIn = this.#server.addBuiltInPeer(peer.id, { switched: true });
      } catch (error) {
        // The server is closing, or (switched) out of fds for the lines to it.
        if (!(error instanceof ServerClosedError)) {
          this.#node.emit(
            'warning',
            `cluster: remote peer ${peer.id} is not shown to local peers: ${(error as Error).message}`,
          );
        }
        return;
      }
      builtIn.on('doorbell', (doorbell) => this.#hooks.doorbell(peer.id, doorbell));
      this.#remote.set(peer.id, builtIn);
    }
    this.#hooks.added?.(peer, host);
  }

  #gone(id: number, reason: string): void {
    if (!this.#remote.delete(id)) return;
    try {
      this.#server.removeBuiltInPeer(id, reason);
    } catch {
      // the server closed first
    }
  }
}
