// The topology with the links of a link source (switched doorbells) added
// beside the switch's ports.
import type { LinkSource, NodeLinkGraph } from './model.js';

export function withLinks(graph: NodeLinkGraph, links?: LinkSource): NodeLinkGraph {
  if (!links) return graph;
  const known = new Set(graph.nodes.map((node) => node.id));
  const extra = links.links()
    .map(({ source, target, state, doorbells, faults }) => ({ source: `peer-${source}`, target: `peer-${target}`, kind: 'doorbells' as const, state, doorbells, faults }))
    .filter((link) => known.has(link.source) && known.has(link.target));
  return { ...graph, links: [...graph.links, ...extra] };
}
