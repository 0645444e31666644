// The topology drawn with d3's force layout. Every node and label is drawn at
// once, the layout already computed, so the first frame shows the fabric;
// motion (a settling layout, travelling messages) is decoration only, and
// none at all with prefers-reduced-motion.
import type * as D3 from 'd3';
import type { NodeLinkGraph, TopologyLink, TopologyNode } from '../model.js';
import { labelLayer, linkLayer, nodeLayer, radius, size, still } from './canvas.js';
import { linkCaption, linkClass } from './link-caption.js';

declare const d3: typeof D3;

export interface GraphNode extends TopologyNode, D3.SimulationNodeDatum {}
interface GraphLink extends D3.SimulationLinkDatum<GraphNode> {
  key: string;
  kind: TopologyLink['kind'];
  data: TopologyLink;
}

const nodes = new Map<string, GraphNode>();
let links: GraphLink[] = [];
/** Switched doorbells: the switch that manages the fabric steps aside for the switches that carry it. */
let switched = false;
let shape = '';

const simulation = d3
  .forceSimulation<GraphNode>()
  .force('charge', d3.forceManyBody<GraphNode>().strength(-420))
  .force(
    'link',
    d3
      .forceLink<GraphNode, GraphLink>()
      .id((node) => node.id)
      .distance((link) => (link.kind === 'switch-link' ? 220 : link.kind === 'peer-link' ? 130 : 170))
      .strength((link) => (switched && link.kind === 'port' ? 0 : 0.4)),
  )
  .force('collide', d3.forceCollide<GraphNode>(62))
  .on('tick', draw)
  // For whoever waits for a still picture (the page test's screenshot).
  .on('end', () => {
    document.body.dataset.settled = 'true';
  })
  .stop();

export function isDataSwitch(node: TopologyNode): boolean {
  return node.kind === 'switch' && node.peer === undefined;
}

function place(): void {
  const { width, height } = size();
  const carriers = [...nodes.values()].filter(isDataSwitch).length;
  simulation.force(
    'radial',
    d3
      .forceRadial<GraphNode>(
        (node) => (node.kind === 'peer' ? radius() : carriers > 1 ? radius() * 0.42 : 0),
        width / 2,
        height / 2,
      )
      .strength((node) => (node.kind === 'peer' ? 0.6 : 0.9)),
  );
  for (const node of nodes.values()) {
    if (node.kind === 'peer' || isDataSwitch(node)) continue;
    // The manager: in the middle, or in a corner when switches carry the doorbells.
    node.fx = switched ? 90 : width / 2;
    node.fy = switched ? 80 : height / 2;
  }
}

function label(node: GraphNode): { title: string; sub: string; ids: string } {
  if (node.kind === 'server') return { title: 'famez server', sub: 'ivshmem', ids: '' };
  if (isDataSwitch(node)) return { title: '', sub: '', ids: '' };
  const title = node.nodename || (node.kind === 'switch' ? 'switch' : `peer ${node.peer}`);
  const ids =
    node.cid === undefined
      ? ''
      : `CID ${node.cid} · SID ${node.sid}${node.kind === 'peer' ? ` · ${node.linkState}` : ''}`;
  const fam = node.fam && `FAM: ${node.fam.as} ${node.fam.region ? `${node.fam.region} ` : ''}${node.fam.device}`;
  return { title, sub: [node.cclass, fam].filter(Boolean).join(' · '), ids };
}

function render(): void {
  const linkSelection = linkLayer.selectAll<SVGLineElement, GraphLink>('line').data(links, (link) => link.key);
  linkSelection.exit().remove();
  linkSelection
    .enter()
    .append('line')
    .merge(linkSelection)
    .attr(
      'class',
      (link) => `link ${link.kind} ${linkClass(link.data)}${switched && link.kind === 'port' ? ' managed' : ''}`,
    )
    .attr('data-link', (link) => link.data.name ?? null);
  const captioned = links.filter((link) => link.data.name !== undefined);
  const labels = labelLayer.selectAll<SVGTextElement, GraphLink>('text').data(captioned, (link) => link.key);
  labels.exit().remove();
  const entered = labels.enter().append('text');
  entered.append('tspan').attr('class', 'what').attr('x', 0);
  entered.append('tspan').attr('class', 'count').attr('x', 0).attr('dy', 13);
  const captions = entered
    .merge(labels)
    .attr('class', (link) => `link-label ${linkClass(link.data)}`)
    .attr('data-link', (link) => link.data.name!);
  captions.select('tspan.what').text((link) => linkCaption(link.data)[0]);
  captions.select('tspan.count').text((link) => linkCaption(link.data)[1]);

  const nodeSelection = nodeLayer
    .selectAll<SVGGElement, GraphNode>('g.node')
    .data([...nodes.values()], (node) => node.id);
  const leaving = nodeSelection.exit<GraphNode>().attr('data-id', null);
  if (still()) leaving.remove();
  else leaving.transition().duration(250).style('opacity', 0).remove();
  // Drawn whole at once: nothing waits for a fade.
  const entering = nodeSelection.enter().append('g');
  entering.each(function (node) {
    const group = d3.select(this);
    if (isDataSwitch(node))
      group.append('rect').attr('x', -40).attr('y', -18).attr('width', 80).attr('height', 36).attr('rx', 8);
    else if (node.kind === 'switch')
      group.append('rect').attr('x', -46).attr('y', -30).attr('width', 92).attr('height', 60).attr('rx', 12);
    else group.append('circle').attr('r', node.kind === 'server' ? 40 : 28);
    group.append('text').attr('class', 'id').attr('dy', 5);
    group
      .append('text')
      .attr('class', 'title')
      .attr('dy', node.kind === 'switch' ? 48 : 46);
    group
      .append('text')
      .attr('class', 'sub')
      .attr('dy', node.kind === 'switch' ? 63 : 61);
    group
      .append('text')
      .attr('class', 'sub ids')
      .attr('dy', node.kind === 'switch' ? 78 : 76);
  });
  const all = entering
    .merge(nodeSelection)
    .attr('class', (node) => `node ${node.kind} ${isDataSwitch(node) ? 'data' : (node.linkState ?? '')}`)
    .attr('data-id', (node) => node.id);
  all
    .select('text.id')
    .text((node) => (isDataSwitch(node) ? (node.name ?? '') : node.peer === undefined ? '' : String(node.peer)));
  all.select('text.title').text((node) => label(node).title);
  all.select('text.sub:not(.ids)').text((node) => label(node).sub);
  all.select('text.ids').text((node) => label(node).ids);
  draw();
}

function draw(): void {
  const at = (end: string | number | GraphNode): GraphNode => end as GraphNode;
  linkLayer
    .selectAll<SVGLineElement, GraphLink>('line')
    .attr('x1', (link) => at(link.source).x ?? 0)
    .attr('y1', (link) => at(link.source).y ?? 0)
    .attr('x2', (link) => at(link.target).x ?? 0)
    .attr('y2', (link) => at(link.target).y ?? 0);
  labelLayer
    .selectAll<SVGTextElement, GraphLink>('text')
    .attr(
      'transform',
      (link) =>
        `translate(${((at(link.source).x ?? 0) + (at(link.target).x ?? 0)) / 2},${((at(link.source).y ?? 0) + (at(link.target).y ?? 0)) / 2 - 4})`,
    );
  nodeLayer
    .selectAll<SVGGElement, GraphNode>('g.node')
    .attr('transform', (node) => `translate(${node.x ?? 0},${node.y ?? 0})`);
}

/** Where a new node starts: peers spread evenly on the circle, switches near the middle. */
function start(node: TopologyNode, index: number, count: number): { x: number; y: number } {
  const { width, height } = size();
  const angle = (2 * Math.PI * index) / Math.max(1, count) - Math.PI / 2;
  const r = node.kind === 'peer' ? radius() : 60;
  return { x: width / 2 + Math.cos(angle) * r, y: height / 2 + Math.sin(angle) * r };
}

/**
 * Takes the topology as it is now, keeping where the nodes that stay are
 * drawn; the layout moves only when nodes or links came or went (counters,
 * names and states change in place).
 */
export function update(graph: NodeLinkGraph): void {
  const fresh = graph.links.map((link) => ({
    key: `${link.source}|${link.target}|${link.kind}`,
    source: link.source,
    target: link.target,
    kind: link.kind,
    data: link,
  }));
  const nextShape = [...graph.nodes.map((node) => node.id), ...fresh.map((link) => link.key)].join('\n');
  switched = graph.nodes.some(isDataSwitch);
  if (nodes.size > 0 && nextShape === shape) {
    for (const node of graph.nodes) Object.assign(nodes.get(node.id)!, node);
    const byKey = new Map(fresh.map((link) => [link.key, link.data]));
    for (const link of links) link.data = byKey.get(link.key) ?? link.data;
    render();
    return;
  }
  const first = nodes.size === 0;
  shape = nextShape;
  const seen = new Set<string>();
  graph.nodes.forEach((node, index) => {
    seen.add(node.id);
    const old = nodes.get(node.id);
    const at = old ? { x: old.x, y: old.y } : start(node, index, graph.nodes.length);
    nodes.set(node.id, { ...node, ...at, vx: old?.vx, vy: old?.vy });
  });
  for (const id of [...nodes.keys()]) if (!seen.has(id)) nodes.delete(id);
  links = fresh;
  place();
  simulation.nodes([...nodes.values()]);
  simulation.force<D3.ForceLink<GraphNode, GraphLink>>('link')!.links(links);
  if (first || still()) {
    // The layout computed before anything is shown: the first frame is the fabric.
    simulation.alpha(1).stop();
    simulation.tick(300);
    render();
    document.body.dataset.settled = 'true';
    return;
  }
  document.body.dataset.settled = 'false';
  simulation.alpha(0.6).restart();
  render();
}

export function nodeOfPeer(peer: number): GraphNode | undefined {
  return [...nodes.values()].find((node) => node.peer === peer);
}

/** The ends of the drawn link of that name (a switched link's or a peer's own). */
export function linkNamed(name: string): [GraphNode, GraphNode] | undefined {
  const link = links.find((candidate) => candidate.data.name === name);
  return link && [link.source as GraphNode, link.target as GraphNode];
}

window.addEventListener('resize', () => {
  place();
  if (still()) {
    simulation.tick(100);
    draw();
  } else simulation.alpha(0.3).restart();
});
