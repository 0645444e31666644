// `famez server --cluster`: doorbells across hosts. A ring on a remote peer's
// eventfd here becomes a ring message to its node, which rings the peer there.
import { createServer, type FamezServer, type ServerOptions } from '../server/index.js';
import { Bridge } from './bridge.js';
import { ClusterNode } from './node.js';
import type { ClusterOptions } from './options.js';

export interface ClusteredServer {
  server: FamezServer;
  node: ClusterNode;
  /** Leaves the cluster (the others see its peers leave at once), then closes the server. */
  close(): Promise<void>;
}

/** Joins the cluster, then listens with ids unique across it. */
export async function listenClusteredServer(options: ServerOptions, cluster: ClusterOptions): Promise<ClusteredServer> {
  if (options.switched) throw new Error('--switched with --cluster is not supported yet: drop one of them');
  const range = options.idRange ?? { first: 0, last: 65535 };
  const node = await ClusterNode.join(cluster, { range, random: options.ids === 'random' });
  const server = createServer({ ...options, reserved: node.pool.reserved });
  try {
    await server.listen();
  } catch (error) {
    await node.close();
    throw error;
  }
  const bridge = new Bridge(server, node, {
    doorbell: (id, { vector, count }) => { node.sendTo(id, { t: 'ring', to: id, vector, count }); },
  });
  node.on('directed', (message) => {
    if (message.t === 'ring') bridge.ringLocal(message.to, message.vector, message.count);
  });
  return {
    server, node,
    close: async () => {
      await node.close();
      await server.close();
    },
  };
}
