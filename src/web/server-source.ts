// A plain `famez server` as a web source: peers, no switch, every peer on the
// one socket (each can ring every other).
import type { EventEmitter } from 'node:events';
import type { BackingSpec } from '../memory/backing.js';
import type { FamezServer, PeerInfo } from '../server/index.js';
import type * as sys from '../sys/index.js';
import type { NodeLinkGraph, SourceDescription, SourceEvent, WebSource } from './model.js';
import { peerView, refusalCategory } from './peer-view.js';
import { listenTo } from './subscription.js';

export interface SourceInfo {
  /** The memory as asked for, for its path. */
  memory?: BackingSpec;
  /** Options to show on /api/v1/server. */
  options?: Record<string, string | number | boolean>;
}

export function memoryPath(spec: BackingSpec | undefined): string | undefined {
  if (!spec) return undefined;
  if (spec.kind === 'shm') return `/dev/shm/${spec.name}`;
  return spec.kind === 'memfd' ? undefined : spec.path;
}

export function serverSource(server: FamezServer, info: SourceInfo = {}): WebSource {
  const peers = (): PeerInfo[] => [...server.peers.values()].sort((a, b) => a.id - b.id);
  return {
    kind: 'server',
    peers: () => peers().map((peer) => peerView(peer, !peer.credentials)),
    topology(): NodeLinkGraph {
      return {
        directed: false,
        multigraph: false,
        graph: { name: server.socketPath, kind: 'server' },
        nodes: [
          { id: 'server', kind: 'server' },
          ...peers().map((peer) => ({ id: `peer-${peer.id}`, kind: 'peer' as const, peer: peer.id })),
        ],
        // A built-in peer (a cluster's remote peer) is not on this socket.
        links: peers()
          .filter((peer) => peer.credentials)
          .map((peer) => ({ source: `peer-${peer.id}`, target: 'server', kind: 'socket' as const })),
      };
    },
    describe(): SourceDescription {
      const { kind, size, description } = server.memory;
      return {
        kind: 'server',
        socketPath: server.socketPath,
        memory: { kind, size, description, path: memoryPath(info.memory) },
        vectors: server.vectors,
        peers: server.connectedPeers,
        options: { protocol: server.protocol, maxPeers: server.maxPeers, ...info.options },
      };
    },
    queues: () => ({ peers: [...server.queueDepths()].map(([id, queued]) => ({ id, queued })) }),
    subscribe: (listener) => listenTo(server as EventEmitter, serverEvents(listener)),
  };
}

/** The server's own events, which a fabric shares but for joins (it has ports). */
export function refusalEvent(who: sys.Credentials | undefined, reason: string): SourceEvent {
  return { type: 'peer-refused', reason, category: refusalCategory(reason), pid: who?.pid, uid: who?.uid };
}

function serverEvents(listener: (event: SourceEvent) => void) {
  return {
    'peer-joined': (peer: PeerInfo) => listener({ type: 'peer-joined', peer: peerView(peer, !peer.credentials) }),
    'peer-left': (peer: PeerInfo, reason: string) => listener({ type: 'peer-left', id: peer.id, reason }),
    'peer-refused': (who: sys.Credentials | undefined, reason: string) => listener(refusalEvent(who, reason)),
    warning: (text: string) => listener({ type: 'warning', text }),
  };
}
