// Switched, the local router stands on this host's peers' own links, so it
// is what faults them: the node stops doing so, and a change another host
// made to one of them (or a clear of every fault) goes to the router.
import { peerOfLink } from '../switching/topology.js';
import type { FaultChange } from '../switching/faults.js';
import type { ClusterNode } from './node.js';

export function routerFaultsPeerLinks(
  node: ClusterNode,
  isLocal: (id: number) => boolean,
  apply: (change: FaultChange) => void,
  warn: (line: string) => void,
): void {
  node.routerTakes = (change) => {
    const id = change.link === undefined ? undefined : peerOfLink(change.link);
    return change.link === undefined ? change.kind === 'clear' : id !== undefined && isLocal(id);
  };
  node.on('remote-fault', (change) => {
    if (!node.routerTakes?.(change)) return;
    try {
      apply(change);
    } catch (error) {
      warn(`cluster: a fault change from another host was not applied here: ${(error as Error).message}`);
    }
  });
}
