// The live page, in the browser: the topology drawn with d3's force layout,
// kept current from the event stream; messages travel along the links and
// land in the trace. d3 is the package's own bundle, loaded before this.
import type * as D3 from 'd3';
import type { NodeLinkGraph, PeerView, ServerView, TopologyLink, TopologyNode } from '../model.js';

declare const d3: typeof D3;

interface GraphNode extends TopologyNode, D3.SimulationNodeDatum {}
interface GraphLink extends D3.SimulationLinkDatum<GraphNode> {
  key: string;
  kind: TopologyLink['kind'];
  state?: string;
}

const byId = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const svg = d3.select<SVGSVGElement, unknown>('#graph');
const linkLayer = svg.append('g');
const nodeLayer = svg.append('g');
const pulseLayer = svg.append('g');
const nodes = new Map<string, GraphNode>();
let links: GraphLink[] = [];
let messages = 0;

const size = (): { width: number; height: number } => {
  const box = (svg.node() as SVGSVGElement).getBoundingClientRect();
  return { width: box.width || 800, height: box.height || 600 };
};

const simulation = d3.forceSimulation<GraphNode>()
  .force('charge', d3.forceManyBody<GraphNode>().strength(-420))
  .force('link', d3.forceLink<GraphNode, GraphLink>().id((node) => node.id).distance(170).strength(0.4))
  .force('collide', d3.forceCollide<GraphNode>(62))
  .on('tick', draw)
  // For whoever waits for a still picture (the page test's screenshot).
  .on('end', () => { document.body.dataset.settled = 'true'; });

function place(): void {
  const { width, height } = size();
  const radius = Math.max(140, Math.min(width, height) / 2 - 90);
  simulation.force('radial', d3.forceRadial<GraphNode>((node) => (node.kind === 'peer' ? radius : 0), width / 2, height / 2).strength(0.6));
  for (const node of nodes.values()) if (node.kind !== 'peer') { node.fx = width / 2; node.fy = height / 2; }
}

function label(node: GraphNode): { title: string; sub: string; ids: string } {
  if (node.kind === 'server') return { title: 'famez server', sub: 'ivshmem', ids: '' };
  const title = node.nodename || (node.kind === 'switch' ? 'switch' : `peer ${node.peer}`);
  const ids = node.cid === undefined ? '' : `CID ${node.cid} · SID ${node.sid}${node.kind === 'peer' ? ` · ${node.linkState}` : ''}`;
  return { title, sub: node.cclass ?? '', ids };
}

function render(): void {
  const linkSelection = linkLayer.selectAll<SVGLineElement, GraphLink>('line').data(links, (link) => link.key);
  linkSelection.exit().remove();
  linkSelection.enter().append('line').merge(linkSelection)
    .attr('class', (link) => `link ${link.kind} ${link.state ?? ''}`);

  const nodeSelection = nodeLayer.selectAll<SVGGElement, GraphNode>('g.node').data([...nodes.values()], (node) => node.id);
  nodeSelection.exit<GraphNode>().attr('data-id', null).transition().duration(250).style('opacity', 0).remove();
  const entering = nodeSelection.enter().append('g').style('opacity', 0);
  entering.transition().duration(350).style('opacity', 1);
  entering.each(function (node) {
    const group = d3.select(this);
    if (node.kind === 'switch') group.append('rect').attr('x', -46).attr('y', -30).attr('width', 92).attr('height', 60).attr('rx', 12);
    else group.append('circle').attr('r', node.kind === 'server' ? 40 : 28);
    group.append('text').attr('class', 'id').attr('dy', 5);
    group.append('text').attr('class', 'title').attr('dy', node.kind === 'switch' ? 48 : 46);
    group.append('text').attr('class', 'sub').attr('dy', node.kind === 'switch' ? 63 : 61);
    group.append('text').attr('class', 'sub ids').attr('dy', node.kind === 'switch' ? 78 : 76);
  });
  const all = entering.merge(nodeSelection)
    .attr('class', (node) => `node ${node.kind} ${node.linkState ?? ''}`)
    .attr('data-id', (node) => node.id);
  all.select('text.id').text((node) => (node.peer === undefined ? '' : String(node.peer)));
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
  nodeLayer.selectAll<SVGGElement, GraphNode>('g.node').attr('transform', (node) => `translate(${node.x ?? 0},${node.y ?? 0})`);
}

/** Takes the topology as it is now, keeping where the nodes that stay are drawn. */
function update(graph: NodeLinkGraph): void {
  const { width, height } = size();
  const seen = new Set<string>();
  for (const fresh of graph.nodes) {
    seen.add(fresh.id);
    const old = nodes.get(fresh.id);
    const angle = Math.random() * 2 * Math.PI;
    nodes.set(fresh.id, { ...fresh, x: old?.x ?? width / 2 + Math.cos(angle) * 260, y: old?.y ?? height / 2 + Math.sin(angle) * 260, vx: old?.vx, vy: old?.vy });
  }
  for (const id of [...nodes.keys()]) if (!seen.has(id)) nodes.delete(id);
  links = graph.links.map((link) => ({ key: `${link.source}|${link.target}|${link.kind}`, source: link.source, target: link.target, kind: link.kind, state: link.state }));
  place();
  simulation.nodes([...nodes.values()]);
  simulation.force<D3.ForceLink<GraphNode, GraphLink>>('link')!.links(links);
  document.body.dataset.settled = 'false';
  simulation.alpha(0.6).restart();
  render();
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
}

/** The write controls: shown only when the server takes writes; the token stays in this page. */
function controls(server: ServerView): void {
  byId('kind').textContent = server.kind;
  byId('where').textContent = `${server.socketPath} · ${server.memory.description}`;
  if (!server.write) return;
  byId('controls').hidden = false;
  byId<HTMLFormElement>('send').addEventListener('submit', (event) => {
    event.preventDefault();
    const result = byId('result');
    const body = JSON.stringify({ to: Number(byId<HTMLInputElement>('to').value), text: byId<HTMLInputElement>('text').value });
    const headers = { 'Content-Type': 'application/json', Authorization: `Bearer ${byId<HTMLInputElement>('token').value}` };
    result.textContent = 'sending…';
    fetch('/api/v1/messages', { method: 'POST', headers, body }).then(async (res) => {
      const answer = await res.json() as { error?: string };
      result.textContent = res.ok ? 'taken by the port' : `${res.status}: ${answer.error}`;
    }, (error: Error) => { result.textContent = error.message; });
  });
}

function legend(): void {
  const { height } = size();
  const entries: Array<[string, string]> = [['configured', 'var(--configured)'], ['link up', 'var(--up)'], ['no driver yet', 'var(--driverless)'], ['message', 'var(--msg)']];
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
