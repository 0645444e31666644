// Admitting one accepted connection: who it is, whether it may join (the
// admit check, room, an id, the fds a switched join needs), its doorbells
// (new, or the recycled ones of its id, drained of rings meant for the last
// holder), and its place in the registry. A step that fails gives back what
// the earlier ones took, and the peer gets one refusal it cannot mistake.
import { refusalMessage } from '../protocol/handshake.js';
import { encode, type Protocol } from '../protocol/message.js';
import * as sys from '../sys/index.js';
import type { IdAllocator } from './ids.js';
import { PeerSocket } from './peer-socket.js';
import type { Peer, PeerRegistry } from './peer-registry.js';
import type { SwitchedMode } from './switched-mode.js';

export interface AdmissionContext {
  readonly vectors: number;
  readonly protocol: Protocol;
  readonly maxPeers: number;
  readonly maxQueue: number;
  readonly registry: PeerRegistry;
  readonly ids: IdAllocator;
  readonly switched?: SwitchedMode;
  readonly check?: (credentials: sys.Credentials) => string | undefined;
  /** Ids held elsewhere (another host of a cluster). */
  readonly reserved?: (id: number) => boolean;
  readonly noFreeId?: () => string;
  memoryFd(): sys.Fd;
  leave(id: number, reason: string): void;
  joining(peer: Peer): void;
  joined(peer: Peer): void;
  refused(credentials: sys.Credentials | undefined, reason: string): void;
}

export function admit(fd: sys.Fd, context: AdmissionContext): void {
  const { registry, switched } = context;
  let credentials: sys.Credentials | undefined;
  try {
    credentials = sys.peerCredentials(fd);
  } catch (error) {
    return refuse(fd, context, undefined, `no credentials: ${(error as Error).message}`);
  }
  const early = whyNoPeer(fd);
  if (early) {
    sys.close(fd);
    return context.refused(credentials, early);
  }
  const refusal =
    context.check?.(credentials) ??
    (registry.connected >= context.maxPeers ? `server full (${context.maxPeers} peers)` : undefined);
  if (refusal) return refuse(fd, context, credentials, refusal);
  const id = context.ids.allocate(
    (candidate) => registry.peers.has(candidate) || context.reserved?.(candidate) === true,
  );
  if (id === undefined) {
    const { first, last } = context.ids.range;
    return refuse(
      fd,
      context,
      credentials,
      context.noFreeId?.() ?? `server full (every peer id from ${first} to ${last} is taken)`,
    );
  }
  const shortage = switched?.shortage(id);
  if (shortage) return refuse(fd, context, credentials, shortage);
  const recycled = registry.recycled.get(id);
  let eventfds = recycled;
  registry.recycled.delete(id);
  if (!eventfds) {
    try {
      eventfds = sys.createEventfds(context.vectors);
    } catch (error) {
      return refuse(fd, context, credentials, `cannot create doorbells: ${(error as Error).message}`);
    }
    eventfds.forEach((eventfd) => registry.hand(eventfd));
  }
  const undo = (): void => {
    if (recycled) registry.recycled.set(id, recycled);
    else eventfds.forEach((eventfd) => registry.letGo(eventfd));
  };
  if (switched) {
    try {
      switched.connectLines(id);
    } catch (error) {
      undo();
      return refuse(fd, context, credentials, `cannot create switched doorbells: ${(error as Error).message}`);
    }
  }
  if (recycled) drainRecycled(id, recycled, switched);
  let socket: PeerSocket;
  try {
    socket = new PeerSocket(fd, context.maxQueue, (reason) => context.leave(id, reason));
  } catch (error) {
    switched?.disconnectLines(id);
    undo();
    return refuse(fd, context, credentials, `cannot watch the connection: ${(error as Error).message}`);
  }
  const peer: Peer = {
    id,
    vectors: context.vectors,
    credentials,
    joinedAt: new Date(),
    eventfds,
    socket,
    knows: new Set(),
  };
  context.joining(peer);
  registry.join(peer, context.memoryFd());
  switched?.joined(id);
  context.joined(peer);
}

/**
 * Rings meant for a recycled id's last holder (or rung while it was vacant)
 * are not the newcomer's: its doorbells, and switched, the lines to it.
 */
export function drainRecycled(id: number, eventfds: readonly sys.Fd[], switched: SwitchedMode | undefined): void {
  switched?.drainTo(id);
  eventfds.forEach((eventfd) => sys.drainEventfd(eventfd));
}

/** Why a connection is no peer: it hung up or sent something before it was admitted. */
function whyNoPeer(fd: sys.Fd): string | undefined {
  try {
    const got = sys.receive(fd, 1);
    if (got === null) return undefined;
    got.fds.forEach(sys.close);
    return got.bytes.length === 0 ? 'hung up before joining' : 'sent data before joining';
  } catch {
    return 'hung up before joining';
  }
}

/** One message the peer cannot mistake, then the door closes. No other peer hears of it. */
function refuse(fd: sys.Fd, context: AdmissionContext, credentials: sys.Credentials | undefined, reason: string): void {
  try {
    sys.send(fd, encode(refusalMessage(context.protocol)));
  } catch {
    // it is gone already
  }
  sys.close(fd);
  context.refused(credentials, reason);
}
