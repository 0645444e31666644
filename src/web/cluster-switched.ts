// A switched fabric or server in a cluster, as the web and the console see
// it: the local router's switches and links (its peer links, remote peers'
// too: they count and fault what crosses this host) beside the cluster's
// hosts as switches and the host links, which start at the router's first
// switch (where remote peers land unless a fabric file says otherwise). A
// fault change goes to whichever owns the link: `host:NAME` and a remote
// peer's own link to the cluster (the peer's host faults it on its router),
// every other to the router; clearing every fault clears both.
import type { ClusterNode } from '../cluster/index.js';
import { hostLinkName, isHostLink } from '../cluster/links.js';
import { FaultError, type FaultChange } from '../switching/faults.js';
import type { Router } from '../switching/router.js';
import { peerOfLink } from '../switching/topology.js';
import type { SwitchingSource, SwitchLinkView } from './index.js';
import { clusterLinkFaults } from './cluster-web.js';

/** `routed`: the router's view (changes through it); `cluster`: the cluster's (clusterSwitching). */
export function switchedClusterSwitching(
  routed: SwitchingSource,
  router: Router,
  cluster: SwitchingSource,
  node: ClusterNode,
): SwitchingSource {
  const remotePeerLink = (link: string | undefined): boolean => {
    const id = link === undefined ? undefined : peerOfLink(link);
    return id !== undefined && node.ownerOf(id) !== undefined;
  };
  /** The cluster's own: host links and other hosts' peers' links. */
  const clusters = (link: string | undefined): boolean => isHostLink(link) || remotePeerLink(link);
  const uplink = `switch:${router.topology.switches[0]!}`;
  const hostLinks = (): SwitchLinkView[] =>
    cluster
      .links([])
      .filter((link) => isHostLink(link.name))
      .map((link) => ({ ...link, ends: [uplink, link.ends[1]] }));
  return {
    switches: () => [...routed.switches(), ...node.nodes],
    links(peers): SwitchLinkView[] {
      // A remote peer's own link ends at its host's switch; its counters are this router's, its faults its host's.
      const routedLinks = routed.links(peers).map((link) => {
        const id = link.kind === 'peer-link' ? peerOfLink(link.name) : undefined;
        const owner = id === undefined ? undefined : node.ownerOf(id);
        if (owner === undefined) return link;
        return {
          ...link,
          ends: [link.ends[0], `switch:${owner}`] as [string, string],
          ...clusterLinkFaults(node, link.name),
        };
      });
      return [...routedLinks, ...hostLinks()];
    },
    faults: () => [
      ...routed.faults().filter((faults) => !remotePeerLink(faults.link)),
      ...cluster.faults().filter((faults) => clusters(faults.link)),
    ],
    get faultChanges() {
      return routed.faultChanges + cluster.faultChanges;
    },
    apply(change: FaultChange): FaultChange {
      if (clusters(change.link)) return cluster.apply(change);
      if (change.kind === 'clear' && change.link === undefined) cluster.apply(change);
      try {
        return routed.apply(change);
      } catch (error) {
        if (!(error instanceof FaultError)) throw error;
        const hosts = node.nodes.map(hostLinkName);
        throw new FaultError(
          `${error.message}; to other hosts: ${hosts.join(', ') || 'none (no other host has joined)'}`,
        );
      }
    },
    subscribe(listener) {
      const stops = [
        routed.subscribe(listener),
        cluster.subscribe((event) => {
          if (event.type !== 'fault' || clusters(event.change.link)) listener(event);
        }),
      ];
      return () => stops.forEach((stop) => stop());
    },
  };
}
