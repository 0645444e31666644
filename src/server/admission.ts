// Admitting one accepted connection: who it is, whether it may join (the
// admit check, room, an id, the fds a switched join needs), then the join
// all peers share (join.ts) with its socket watched. A refused peer gets one
// refusal it cannot mistake.
import { refusalMessage } from '../protocol/handshake.js';
import { encode, type Protocol } from '../protocol/message.js';
import * as sys from '../sys/index.js';
import { outOfFds } from './fd-reserve.js';
import type { IdAllocator } from './ids.js';
import { JoinError, joinPeer, step, type JoinContext } from './join.js';
import { PeerSocket } from './peer-socket.js';
import type { Peer } from './peer-registry.js';

export interface AdmissionContext extends JoinContext {
  /** The acceptor has no fds left for this peer to join (why): refuse it. */
  readonly shortOfFds?: string;
  readonly protocol: Protocol;
  readonly maxPeers: number;
  readonly maxQueue: number;
  readonly ids: IdAllocator;
  readonly check?: (credentials: sys.Credentials) => string | undefined;
  /** Ids held elsewhere (another host of a cluster). */
  readonly reserved?: (id: number) => boolean;
  readonly noFreeId?: () => string;
  /** No id is free here: more may come (a cluster claims one); true once one has. */
  readonly moreIds?: () => Promise<boolean>;
  leave(id: number, reason: string): void;
  joining(peer: Peer): void;
  joined(peer: Peer): void;
  refused(credentials: sys.Credentials | undefined, reason: string): void;
}

export function admit(fd: sys.Fd, context: AdmissionContext): void {
  const { registry } = context;
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
  if (context.shortOfFds) return refuse(fd, context, credentials, outOfFds(context.shortOfFds));
  const refusal =
    context.check?.(credentials) ??
    (registry.connected >= context.maxPeers ? `server full (${context.maxPeers} peers)` : undefined);
  if (refusal) return refuse(fd, context, credentials, refusal);
  withId(fd, context, credentials, context.moreIds);
}

/** Gives the peer an id and joins it; with none free, waits once for `more` (the event loop goes on meanwhile). */
function withId(
  fd: sys.Fd,
  context: AdmissionContext,
  credentials: sys.Credentials,
  more: (() => Promise<boolean>) | undefined,
): void {
  const { registry, switched } = context;
  const id = context.ids.allocate(
    (candidate) => registry.peers.has(candidate) || context.reserved?.(candidate) === true,
  );
  if (id === undefined && more) {
    void more()
      .catch(() => false)
      .then(() => {
        const gone = whyNoPeer(fd);
        if (!gone) return withId(fd, context, credentials, undefined);
        sys.close(fd);
        context.refused(credentials, gone);
      });
    return;
  }
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
  let peer: Peer;
  try {
    peer = joinPeer(id, context, {
      lines: 'both',
      make: (eventfds) => ({
        id,
        vectors: context.vectors,
        credentials,
        joinedAt: new Date(),
        eventfds,
        socket: step(
          'cannot watch the connection',
          () => new PeerSocket(fd, context.maxQueue, (reason) => context.leave(id, reason)),
        ),
        knows: new Set(),
      }),
      joining: (peer) => context.joining(peer),
    });
  } catch (error) {
    if (!(error instanceof JoinError)) throw error;
    return refuse(fd, context, credentials, error.message);
  }
  context.joined(peer);
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
