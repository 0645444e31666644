// `famez server --cluster`: doorbells across hosts. A ring on a remote peer's
// eventfd here becomes a ring message to its node, which rings the peer there.
import { createServer, type FamezServer, type ServerOptions } from '../server/index.js';
import { Router } from '../switching/router.js';
import { listenClustered } from './assembly.js';
import { Bridge } from './bridge.js';
import { routerFaultsPeerLinks } from './router-faults.js';
import { idSpace } from './id-space.js';
import { ClusterNode, type ClusterNodeDeps } from './node.js';
import type { ClusterOptions } from './options.js';

export interface ClusteredServer {
  server: FamezServer;
  node: ClusterNode;
  /** Leaves the cluster (the others see its peers leave at once), then closes the server. */
  close(): Promise<void>;
}

/**
 * Carries the doorbells of a listening server whose ids `node` reserves
 * (ServerOptions.reserved = node.reserved). Switched, each ring names its
 * sender, so that the receiving host's router passes it on the sender's and
 * the receiver's peer links, as this host's router did.
 */
export function attachServer(server: FamezServer, node: ClusterNode, router?: Pick<Router, 'apply'>): void {
  const bridge = new Bridge(server, node, {
    doorbell: (id, { vector, count, from }) => {
      node.sendTo(
        id,
        from === undefined ? { t: 'ring', to: id, vector, count } : { t: 'ring', to: id, vector, count, from },
      );
    },
  });
  if (router)
    routerFaultsPeerLinks(
      node,
      (change) => router.apply(change),
      (line) => server.emit('warning', line),
    );
  node.on('directed', (message) => {
    if (message.t === 'ring')
      bridge.ringLocal(message.to, message.vector, message.count, bridge.sender(message.node, message.from));
  });
}

/** Joins the cluster, then listens with ids unique across it. */
export async function listenClusteredServer(
  options: ServerOptions,
  cluster: ClusterOptions,
  deps: ClusterNodeDeps = {},
): Promise<ClusteredServer> {
  const router = options.forwarding instanceof Router ? options.forwarding : undefined;
  const node = new ClusterNode(cluster, idSpace({ kind: 'server', ...options }), {
    switched: router !== undefined,
    ...deps,
  });
  const server = createServer({ ...options, reserved: node.reserved, noFreeId: node.noFreeId, moreIds: node.moreIds });
  const clustered = await listenClustered(node, server, () => attachServer(server, node, router));
  return { server, ...clustered };
}
