// A cluster as the web's topology sees a switched fabric: every host a
// switch, the links between this host and the others (`host:NAME`) with
// their faults and counters, and each peer's own link to its host's switch.
import type { ClusterNode } from '../cluster/index.js';
import { hostLinkName } from '../cluster/links.js';
import { describeChange, type FaultChange } from '../switching/faults.js';
import { peerLinkName } from '../switching/topology.js';
import type { SwitchingSource, SwitchLinkView } from './index.js';

/** A link's faults as the cluster keeps them, with the state and added latency they give. */
export function clusterLinkFaults(
  node: ClusterNode,
  name: string,
): Pick<SwitchLinkView, 'faults' | 'latencyUs' | 'state'> {
  const faults = node.links.faults.get(name) ?? {};
  return { faults, latencyUs: faults.addedUs ?? 0, state: faults.down ? 'down' : 'up' };
}

export function clusterSwitching(node: ClusterNode, isLocal: (id: number) => boolean): SwitchingSource {
  const local = node.plan.node;
  const view = (name: string, ends: [string, string], kind: SwitchLinkView['kind']): SwitchLinkView => ({
    name,
    ends,
    kind,
    ...clusterLinkFaults(node, name),
    counters: { ...node.links.counters(name) },
  });
  return {
    switches: () => [local, ...node.nodes],
    links(peers): SwitchLinkView[] {
      const hostLinks = node.nodes.map((remote) =>
        view(hostLinkName(remote), [`switch:${local}`, `switch:${remote}`], 'switch-link'),
      );
      const peerLinks = peers.flatMap((id) => {
        const host = isLocal(id) ? local : node.ownerOf(id);
        return host === undefined ? [] : [view(peerLinkName(id), [`peer-${id}`, `switch:${host}`], 'peer-link')];
      });
      return [...hostLinks, ...peerLinks];
    },
    faults: () => node.links.faults.entries().map(([link, faults]) => ({ link, ...faults })),
    get faultChanges() {
      return node.links.faultChanges;
    },
    apply: (change: FaultChange) => node.applyFault(change),
    subscribe(listener) {
      const onFault = (change: FaultChange): void => listener({ type: 'fault', change, text: describeChange(change) });
      node.links.on('fault', onFault);
      return () => {
        node.links.off('fault', onFault);
      };
    },
  };
}
