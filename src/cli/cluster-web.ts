// A cluster as the web's topology sees a switched fabric: every host a
// switch, the links between this host and the others (`host:NAME`) with
// their faults and counters, and each peer's own link to its host's switch.
import type { ClusterNode } from '../cluster/index.js';
import { describeChange, type FaultChange } from '../switching/faults.js';
import type { SwitchingSource, SwitchLinkView } from '../web/index.js';

export function clusterSwitching(node: ClusterNode, isLocal: (id: number) => boolean): SwitchingSource {
  const local = node.plan.node;
  return {
    switches: () => [local, ...node.nodes],
    links(peers): SwitchLinkView[] {
      const hostLinks: SwitchLinkView[] = node.nodes.map((remote) => {
        const name = `host:${remote}`;
        const faults = node.links.faults.get(name) ?? {};
        return { name, ends: [`switch:${local}`, `switch:${remote}`], kind: 'switch-link', latencyUs: faults.addedUs ?? 0,
          state: faults.down ? 'down' : 'up', faults, counters: { ...node.links.counters(name) } };
      });
      const peerLinks: SwitchLinkView[] = peers.flatMap((id) => {
        const host = isLocal(id) ? local : node.ownerOf(id);
        const name = `peer:${id}`;
        const faults = node.links.faults.get(name) ?? {};
        return host === undefined ? [] : [{ name, ends: [`peer-${id}`, `switch:${host}`], kind: 'peer-link' as const,
          latencyUs: faults.addedUs ?? 0, state: faults.down ? 'down' as const : 'up' as const, faults, counters: { ...node.links.counters(name) } }];
      });
      return [...hostLinks, ...peerLinks];
    },
    faults: () => node.links.faults.entries().map(([link, faults]) => ({ link, ...faults })),
    get faultChanges() { return node.links.faultChanges; },
    apply: (change: FaultChange) => node.applyFault(change),
    subscribe(listener) {
      const onFault = (change: FaultChange): void => listener({ type: 'fault', change, text: describeChange(change) });
      node.links.on('fault', onFault);
      return () => { node.links.off('fault', onFault); };
    },
  };
}
