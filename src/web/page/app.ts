// The live page, in the browser: the topology drawn with d3's force layout,
// kept current from the event stream; messages travel along the links and
// land in the trace. d3 is the package's own bundle, loaded before this.
import type * as D3 from 'd3';
import type { DoorbellTrace, NodeLinkGraph, PeerView, ServerView, TopologyLink, TopologyNode } from '../model.js';
import { faultChoices, faultControls } from './fault-controls.js';
import { linkCaption, linkClass } from './link-caption.js';

declare const d3: typeof D3;

interface GraphNode extends TopologyNode, D3.SimulationNodeDatum {}
interface GraphLink extends D3.SimulationLinkDatum<GraphNode> {
  key: string;
  kind: TopologyLink['kind'];
  data: TopologyLink;
}

const byId = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const svg = d3.select<SVGSVGElement, unknown>('#graph');
const linkLayer = svg.append('g');
const labelLayer = svg.append('g');
const nodeLayer = svg.append('g');
const pulseLayer = svg.append('g');
const nodes = new Map<string, GraphNode>();
let links: GraphLink[] = [];
let messages = 0;
/** Switched doorbells: the switch that manages the fabric steps aside for the switches that carry it. */
let switched = false;
let shape = '';

const size = (): { width: number; height: number } => {
  const box = (svg.node() as SVGSVGElement).getBoundingClientRect();
  return { width: box.width || 800, height: box.height || 600 };
};

const simulation = d3.forceSimulation<GraphNode>()
  .force('charge', d3.forceManyBody<GraphNode>().strength(-420))
  .force('link', d3.forceLink<GraphNode, GraphLink>().id((node) => node.id)
    .distance((link) => (link.kind === 'switch-link' ? 220 : link.kind === 'peer-link' ? 130 : 170))
    .strength((link) => (switched && link.kind === 'port' ? 0 : 0.4)))
  .force('collide', d3.forceCollide<GraphNode>(62))
  .on('tick', draw)
  // For whoever waits for a still picture (the page test's screenshot).
  .on('end', () => { document.body.dataset.settled = 'true'; });

function place(): void {
  const { width, height } = size();
  const radius = Math.max(140, Math.min(width, height) / 2 - 90);
  const carriers = [...nodes.values()].filter(isDataSwitch).length;
  simulation.force('radial', d3.forceRadial<GraphNode>((node) => (node.kind === 'peer' ? radius : carriers > 1 ? radius * 0.42 : 0), width / 2, height / 2)
    .strength((node) => (node.kind === 'peer' ? 0.6 : 0.9)));
  for (const node of nodes.values()) {
    if (node.kind === 'peer' || isDataSwitch(node)) continue;
    // The manager: in the middle, or in a corner when switches carry the doorbells.
    node.fx = switched ? 90 : width / 2;
    node.fy = switched ? 80 : height / 2;
  }
}

function isDataSwitch(node: TopologyNode): boolean {
  return node.kind === 'switch' && node.peer === undefined;
}

function label(node: GraphNode): { title: string; sub: string; ids: string } {
  if (node.kind === 'server') return { title: 'famez server', sub: 'ivshmem', ids: '' };
  if (isDataSwitch(node)) return { title: '', sub: '', ids: '' };
  const title = node.nodename || (node.kind === 'switch' ? 'switch' : `peer ${node.peer}`);
  const ids = node.cid === undefined ? '' : `CID ${node.cid} · SID ${node.sid}${node.kind === 'peer' ? ` · ${node.linkState}` : ''}`;
  return { title, sub: node.cclass ?? '', ids };
}

function render(): void {
  const linkSelection = linkLayer.selectAll<SVGLineElement, GraphLink>('line').data(links, (link) => link.key);
  linkSelection.exit().remove();
  linkSelection.enter().append('line').merge(linkSelection)
    .attr('class', (link) => `link ${link.kind} ${linkClass(link.data)}${switched && link.kind === 'port' ? ' managed' : ''}`)
    .attr('data-link', (link) => link.data.name ?? null);
  const captioned = links.filter((link) => link.data.name !== undefined);
  const labels = labelLayer.selectAll<SVGTextElement, GraphLink>('text').data(captioned, (link) => link.key);
  labels.exit().remove();
  const entered = labels.enter().append('text');
  entered.append('tspan').attr('class', 'what').attr('x', 0);
  entered.append('tspan').attr('class', 'count').attr('x', 0).attr('dy', 13);
  const captions = entered.merge(labels)
    .attr('class', (link) => `link-label ${linkClass(link.data)}`)
    .attr('data-link', (link) => link.data.name!);
  captions.select('tspan.what').text((link) => linkCaption(link.data)[0]);
  captions.select('tspan.count').text((link) => linkCaption(link.data)[1]);

  const nodeSelection = nodeLayer.selectAll<SVGGElement, GraphNode>('g.node').data([...nodes.values()], (node) => node.id);
  nodeSelection.exit<GraphNode>().attr('data-id', null).transition().duration(250).style('opacity', 0).remove();
  const entering = nodeSelection.enter().append('g').style('opacity', 0);
  entering.transition().duration(350).style('opacity', 1);
  entering.each(function (node) {
    const group = d3.select(this);
    if (isDataSwitch(node)) group.append('rect').attr('x', -40).attr('y', -18).attr('width', 80).attr('height', 36).attr('rx', 8);
    else if (node.kind === 'switch') group.append('rect').attr('x', -46).attr('y', -30).attr('width', 92).attr('height', 60).attr('rx', 12);
    else group.append('circle').attr('r', node.kind === 'server' ? 40 : 28);
    group.append('text').attr('class', 'id').attr('dy', 5);
    group.append('text').attr('class', 'title').attr('dy', node.kind === 'switch' ? 48 : 46);
    group.append('text').attr('class', 'sub').attr('dy', node.kind === 'switch' ? 63 : 61);
    group.append('text').attr('class', 'sub ids').attr('dy', node.kind === 'switch' ? 78 : 76);
  });
  const all = entering.merge(nodeSelection)
    .attr('class', (node) => `node ${node.kind} ${isDataSwitch(node) ? 'data' : node.linkState ?? ''}`)
    .attr('data-id', (node) => node.id);
  all.select('text.id').text((node) => (isDataSwitch(node) ? node.name ?? '' : node.peer === undefined ? '' : String(node.peer)));
  all.select('text.title').text((node) => label(node).title);
  all.select('text.sub:not(.ids)').text((node) => label(node).sub);
  all.select('text.ids').text((node) => label(node).ids);
  byId('peers').textContent = String([...nodes.values()].filter((node) => node.kind === 'peer').length);
}

function draw(): void {
  const at = (end: string | number | GraphNode): GraphNode => end as GraphNode;
  linkLayer.selectAll<SVGLineElement, GraphLink>('line')
    .attr('x1', (link) => at(link.source).x ?? 0).attr('y1', (link) => at(link.source).y ?? 0)
    .attr('x2', (link) => at(link.target).x ?? 0).attr('y2', (link) => at(link.target).y ?? 0);
  labelLayer.selectAll<SVGTextElement, GraphLink>('text').attr('transform', (link) =>
    `translate(${((at(link.source).x ?? 0) + (at(link.target).x ?? 0)) / 2},${((at(link.source).y ?? 0) + (at(link.target).y ?? 0)) / 2 - 4})`);
  nodeLayer.selectAll<SVGGElement, GraphNode>('g.node').attr('transform', (node) => `translate(${node.x ?? 0},${node.y ?? 0})`);
}

/**
 * Takes the topology as it is now, keeping where the nodes that stay are
 * drawn; the layout moves only when nodes or links came or went (counters
 * and states change in place).
 */
function update(graph: NodeLinkGraph): void {
  const { width, height } = size();
  const fresh = graph.links.map((link) => ({ key: `${link.source}|${link.target}|${link.kind}`, source: link.source, target: link.target, kind: link.kind, data: link }));
  const nextShape = [...graph.nodes.map((node) => node.id), ...fresh.map((link) => link.key)].join('\n');
  switched = graph.nodes.some(isDataSwitch);
  byId('faulty').textContent = String(graph.links.filter((link) => Object.keys(link.faults ?? {}).length > 0).length);
  if (nodes.size > 0 && nextShape === shape) {
    for (const node of graph.nodes) Object.assign(nodes.get(node.id)!, node);
    const byKey = new Map(fresh.map((link) => [link.key, link.data]));
    for (const link of links) link.data = byKey.get(link.key) ?? link.data;
    render();
    if (!byId('faults').hidden) faultChoices(graph);
    return;
  }
  shape = nextShape;
  const seen = new Set<string>();
  for (const fresh of graph.nodes) {
    seen.add(fresh.id);
    const old = nodes.get(fresh.id);
    const angle = Math.random() * 2 * Math.PI;
    nodes.set(fresh.id, { ...fresh, x: old?.x ?? width / 2 + Math.cos(angle) * 260, y: old?.y ?? height / 2 + Math.sin(angle) * 260, vx: old?.vx, vy: old?.vy });
  }
  for (const id of [...nodes.keys()]) if (!seen.has(id)) nodes.delete(id);
  links = fresh;
  place();
  simulation.nodes([...nodes.values()]);
  simulation.force<D3.ForceLink<GraphNode, GraphLink>>('link')!.links(links);
  document.body.dataset.settled = 'false';
  simulation.alpha(0.6).restart();
  render();
  if (!byId('faults').hidden) faultChoices(graph);
}

let refreshing: Promise<void> | undefined;
let again = false;
/** Fetches the topology; calls made meanwhile fetch once more after it. */
function refresh(): void {
  if (refreshing) { again = true; return; }
  refreshing = fetch('/api/v1/topology').then((res) => res.json() as Promise<NodeLinkGraph>).then(update).finally(() => {
    refreshing = undefined;
    if (again) { again = false; refresh(); }
  });
}

function nodeOfPeer(peer: number): GraphNode | undefined {
  return [...nodes.values()].find((node) => node.peer === peer);
}

/** A dot that travels from one peer to another. */
function pulse(from: number, to: number): void {
  const a = nodeOfPeer(from);
  const b = nodeOfPeer(to);
  if (!a || !b) return;
  pulseLayer.append('circle').attr('class', 'pulse').attr('r', 6).attr('cx', a.x ?? 0).attr('cy', a.y ?? 0)
    .transition().duration(700).ease(d3.easeCubicInOut).attr('cx', b.x ?? 0).attr('cy', b.y ?? 0)
    .transition().duration(150).attr('r', 12).style('opacity', 0).remove();
}

function trace(type: string, text: string): void {
  const list = byId<HTMLOListElement>('trace');
  const item = document.createElement('li');
  item.className = `trace-entry ${type}`;
  const time = document.createElement('span');
  time.className = 't';
  time.textContent = new Date().toLocaleTimeString([], { hour12: false });
  const what = document.createElement('span');
  what.className = 'what';
  what.textContent = text;
  item.append(time, what);
  list.prepend(item);
  while (list.children.length > 200) list.lastElementChild!.remove();
}

const name = (peer: number, nodename?: string): string => (nodename ? `${nodename} (${peer})` : `peer ${peer}`);

function listen(): void {
  const events = new EventSource('/api/v1/events');
  const state = byId('state');
  events.onopen = () => { byId('live').className = 'on'; state.textContent = 'live'; refresh(); };
  events.onerror = () => { byId('live').className = ''; state.textContent = 'reconnecting'; };
  const on = <T>(type: string, handle: (data: T) => void): void => events.addEventListener(type, (event) => handle(JSON.parse((event as MessageEvent<string>).data) as T));
  const counted = (): void => { byId('messages').textContent = String(++messages); };
  on<{ peer: PeerView }>('peer-joined', ({ peer }) => { trace('peer-joined', `${name(peer.id, peer.nodename)} joined`); refresh(); });
  on<{ id: number; nodename?: string; reason: string }>('peer-left', ({ id, nodename, reason }) => { trace('peer-left', `${name(id, nodename)} left: ${reason}`); refresh(); });
  on<{ reason: string }>('peer-refused', ({ reason }) => trace('peer-refused', `refused: ${reason}`));
  on<{ change: string; peer: PeerView }>('link', ({ change, peer }) => {
    trace('link', change === 'configured' ? `${name(peer.id, peer.nodename)} configured: CID ${peer.cid}, SID ${peer.sid}` : `${name(peer.id, peer.nodename)}: ${Object.entries(peer.peerAttributes ?? {}).map(([k, v]) => `${k}=${v}`).join(',')}`);
    refresh();
  });
  on<{ from: number; to: number; nodename: string; body: string }>('message', ({ from, to, nodename, body }) => {
    counted(); pulse(from, to); trace('message', `${name(from, nodename)} → switch: ${body}`);
    refresh();   // a message may carry new names
  });
  on<{ from: number; to: number; text: string }>('sent', ({ from, to, text }) => { counted(); pulse(from, to); trace('sent', `switch → ${to}: ${text.replace(/!EZT=\d+$/, '')}`); });
  on<{ text: string }>('warning', ({ text }) => trace('warning', text));
  on<{ text: string }>('fault', ({ text }) => { trace('fault', `fault: ${text}`); refresh(); });
  on<DoorbellTrace>('trace', (entry) => {
    if (entry.passed > 0) pulse(entry.from, entry.to);
    trace('trace', doorbellLine(entry));
    refresh();   // the counters moved
  });
}

/** A sampled doorbell as a trace line: who rang whom, across which links, and what became of it. */
function doorbellLine(entry: DoorbellTrace): string {
  const who = (id: number): string => { const node = nodeOfPeer(id); return name(id, node?.nodename); };
  const what = entry.text === undefined ? `ring ${entry.vector}` : `"${entry.text.replace(/!EZT=\d+$/, '')}"`;
  const fate = entry.outcome === 'dropped' ? `lost: ${entry.reason ?? 'dropped'}` : entry.outcome === 'delayed' ? `${entry.delayUs} µs` : 'at once';
  return `${who(entry.from)} → ${who(entry.to)} ${what} via ${entry.links.join(', ')} (${fate})`;
}

/** The write controls: shown only when the server takes writes; the token stays in this page. */
function controls(server: ServerView): void {
  byId('kind').textContent = server.kind;
  byId('where').textContent = `${server.socketPath} · ${server.memory.description}`;
  byId('fault-stat').hidden = !server.switched;
  if (!server.write) return;
  byId('controls').hidden = false;
  if (server.switched) {
    faultControls(post);
    refresh();   // the links to choose from
  }
  if (server.kind !== 'fabric') return;
  const send = byId<HTMLFormElement>('send');
  send.hidden = false;
  send.addEventListener('submit', (event) => {
    event.preventDefault();
    post('/api/v1/messages', { to: Number(byId<HTMLInputElement>('to').value), text: byId<HTMLInputElement>('text').value }, 'taken by the port');
  });
}

/** A write call with the token typed in the page; the answer (or error) goes under the controls. */
function post(path: string, body: Record<string, unknown>, done: string): void {
  const result = byId('result');
  const headers = { 'Content-Type': 'application/json', Authorization: `Bearer ${byId<HTMLInputElement>('token').value}` };
  result.textContent = 'sending…';
  fetch(path, { method: 'POST', headers, body: JSON.stringify(body) }).then(async (res) => {
    const answer = await res.json() as { error?: string; applied?: string };
    result.textContent = res.ok ? (answer.applied ? `${done}: ${answer.applied}` : done) : `${res.status}: ${answer.error}`;
  }, (error: Error) => { result.textContent = error.message; });
}

function legend(): void {
  const { height } = size();
  const entries: Array<[string, string]> = [['configured', 'var(--configured)'], ['link up', 'var(--up)'], ['no driver yet', 'var(--driverless)'], ['message', 'var(--msg)'],
    ['switched link', 'var(--fabric)'], ['link down', 'var(--warn)']];
  const group = svg.append('g').attr('transform', `translate(18,${height - 18 - entries.length * 18})`);
  entries.forEach(([text, color], i) => {
    group.append('circle').attr('cx', 6).attr('cy', i * 18).attr('r', 5).style('fill', color);
    group.append('text').attr('class', 'legend').attr('x', 18).attr('y', i * 18 + 4).text(text);
  });
}

window.addEventListener('resize', () => { place(); simulation.alpha(0.3).restart(); });
legend();
void fetch('/api/v1/server').then((res) => res.json() as Promise<ServerView>).then(controls);
refresh();
listen();
