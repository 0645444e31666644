// A cluster as the web's topology sees a switched fabric: every host a
// switch, the links between this host and the others (`host:NAME`) with
// their faults and counters, and each peer's own link to its host's switch.
import type { ClusterNode } from '../cluster/index.js';
import { describeChange, type FaultChange } from '../switching/faults.js';
import type { SwitchingSource, SwitchLinkView } from '../web/index.js';

const ZERO = { forwarded: 0, dropped: 0, delayed: 0, messages: 0, bytes: 0 };

export function clusterSwitching(node: ClusterNode, isLocal: (id: number) => boolean): SwitchingSource {
  const local = node.plan.node;
  const linkNames = (): string[] => node.nodes.map((remote) => `host:${remote}`);
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
        return host === undefined ? [] : [{ name: `peer:${id}`, ends: [`peer-${id}`, `switch:${host}`], kind: 'peer-link' as const,
          latencyUs: 0, state: 'up' as const, faults: {}, counters: { ...ZERO } }];
      });
      return [...hostLinks, ...peerLinks];
    },
    faults: () => node.links.faults.entries().map(([link, faults]) => ({ link, ...faults })),
    get faultChanges() { return node.links.faultChanges; },
    apply: (change: FaultChange) => node.links.apply(change, linkNames()),
    subscribe(listener) {
      const onFault = (change: FaultChange): void => listener({ type: 'fault', change, text: describeChange(change) });
      node.links.on('fault', onFault);
      return () => { node.links.off('fault', onFault); };
    },
  };
}
