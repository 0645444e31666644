// The one lifecycle of a clustered service (server, fabric, lab host, CLI):
// the node is made first (the service gives only the ids it claims), joins,
// the service listens, the cluster is attached to it; a failure undoes what
// was done, and closing leaves the cluster (other hosts see its peers go at
// once) before the service closes.
import type { IdSpace } from './id-space.js';
import { ClusterNode, type ClusterNodeDeps } from './node.js';
import type { ClusterOptions } from './options.js';

export interface ClusterableService {
  listen(): Promise<void>;
  close(): Promise<void>;
}

export interface Clustered {
  node: ClusterNode;
  /** Leaves the cluster, then closes the service. */
  close(): Promise<void>;
}

/** A node for a service: `reserved`/`noFreeId` are for the service's options before it listens. */
export function clusterNode(options: ClusterOptions, ids: IdSpace, deps?: ClusterNodeDeps): ClusterNode {
  return new ClusterNode(options, ids, deps);
}

/** Joins, listens, attaches; on failure leaves and closes. */
export async function listenClustered(
  node: ClusterNode,
  service: ClusterableService,
  attach: (node: ClusterNode) => void | Promise<void>,
): Promise<Clustered> {
  await node.join();
  try {
    await service.listen();
    await attach(node);
  } catch (error) {
    await node.close();
    await service.close();
    throw error;
  }
  return {
    node,
    close: async () => {
      await node.close();
      await service.close();
    },
  };
}
