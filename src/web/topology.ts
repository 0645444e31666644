// The topology with a switched fabric's switches and links added beside the
// server's own nodes: each switch, the links between them, and each peer's own
// link to the switch it lands on, with state, faults and counters.
import type { NodeLinkGraph, SwitchingSource, TopologyLink, TopologyNode } from './model.js';

export function withSwitching(graph: NodeLinkGraph, switching?: SwitchingSource): NodeLinkGraph {
  if (!switching) return graph;
  const peers = graph.nodes.filter((node) => node.kind === 'peer' && node.peer !== undefined).map((node) => node.peer!);
  const switches: TopologyNode[] = switching.switches().map((name) => ({ id: `switch:${name}`, kind: 'switch', name }));
  const links: TopologyLink[] = switching
    .links(peers)
    .map(({ ends, kind, name, state, latencyUs, faults, counters }) => ({
      source: ends[0],
      target: ends[1],
      kind,
      name,
      state,
      latencyUs,
      faults,
      counters,
    }));
  // A message between two peers crosses both their own links: counted once.
  const between =
    links.filter((link) => link.kind === 'peer-link').reduce((sum, link) => sum + (link.counters?.messages ?? 0), 0) /
    2;
  const messages = graph.graph.messages === undefined ? undefined : graph.graph.messages + Math.floor(between);
  return {
    ...graph,
    graph: { ...graph.graph, messages },
    nodes: [...graph.nodes, ...switches],
    links: [...graph.links, ...links],
  };
}
