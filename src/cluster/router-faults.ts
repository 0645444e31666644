// Switched, the local router stands on this host's peers' own links, so it
// is what faults them (the node leaves them alone: ClusterNodeDeps.switched),
// and a change another host made to one of them (or a clear of every fault)
// goes to the router.
import type { FaultChange } from '../switching/faults.js';
import type { ClusterNode } from './node.js';

export function routerFaultsPeerLinks(
  node: ClusterNode,
  apply: (change: FaultChange) => void,
  warn: (line: string) => void,
): void {
  node.on('remote-fault', (change) => {
    if (!node.routerTakes(change)) return;
    try {
      apply(change);
    } catch (error) {
      warn(`cluster: a fault change from another host was not applied here: ${(error as Error).message}`);
    }
  });
}
