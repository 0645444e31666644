// The live page, in the browser: the topology (graph.ts) kept current from
// the event stream and a cheap poll of the API (names a driver writes into
// its slot send no event); messages travel along the links and land in the
// trace. Message text comes only with the token, typed into the page and
// kept in it. d3 is the package's own bundle, loaded before this.
import type { DoorbellTrace, NodeLinkGraph, PeerView, ServerView } from '../model.js';
import { readEvents } from './event-reader.js';
import { faultChoices, faultControls } from './fault-controls.js';
import { legend } from './canvas.js';
import { nodeOfPeer, update } from './graph.js';
import { pulse } from './pulse.js';

const byId = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const POLL_MS = 2000;
/** The token, once the server took it: then the stream and the API carry message text. */
let token = '';
let messages = 0;

const authorization = (): Record<string, string> => (token ? { Authorization: `Bearer ${token}` } : {});

function show(graph: NodeLinkGraph): void {
  update(graph);
  byId('peers').textContent = String(graph.nodes.filter((node) => node.kind === 'peer').length);
  byId('faulty').textContent = String(graph.links.filter((link) => Object.keys(link.faults ?? {}).length > 0).length);
  // The API's totals: the counter starts from them and comes back to them.
  if (graph.graph.messages !== undefined) byId('messages').textContent = String((messages = graph.graph.messages));
  if (!byId('faults').hidden) faultChoices(graph);
}

let refreshing: Promise<void> | undefined;
let again = false;
/** Fetches the topology; calls made meanwhile fetch once more after it. */
function refresh(): void {
  if (refreshing !== undefined) {
    again = true;
    return;
  }
  refreshing = fetch('/api/v1/topology')
    .then((res) => res.json() as Promise<NodeLinkGraph>)
    .then(show)
    .catch(() => undefined)
    .finally(() => {
      refreshing = undefined;
      if (again) {
        again = false;
        refresh();
      }
    });
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
/** Message text, or its size when the server holds it back (no token). */
const said = (text: string | undefined, bytes: number | undefined): string =>
  text === undefined ? `(${bytes ?? 0} bytes, text hidden)` : text.replace(/!EZT=\d+$/, '');

type Handler = (data: never) => void;
const handlers: Record<string, Handler> = {
  'peer-joined': ({ peer }: { peer: PeerView }) => {
    trace('peer-joined', `${name(peer.id, peer.nodename)} joined`);
    refresh();
  },
  'peer-left': ({ id, nodename, reason }: { id: number; nodename?: string; reason: string }) => {
    trace('peer-left', `${name(id, nodename)} left: ${reason}`);
    refresh();
  },
  'peer-refused': ({ reason }: { reason: string }) => trace('peer-refused', `refused: ${reason}`),
  link: ({ change, peer }: { change: string; peer: PeerView }) => {
    trace(
      'link',
      change === 'configured'
        ? `${name(peer.id, peer.nodename)} configured: CID ${peer.cid}, SID ${peer.sid}`
        : `${name(peer.id, peer.nodename)}: ${Object.entries(peer.peerAttributes ?? {})
            .map(([k, v]) => `${k}=${v}`)
            .join(',')}`,
    );
    refresh();
  },
  message: ({
    from,
    to,
    nodename,
    body,
    bytes,
  }: {
    from: number;
    to: number;
    nodename: string;
    body?: string;
    bytes?: number;
  }) => {
    counted();
    pulse(from, to);
    trace('message', `${name(from, nodename)} → switch: ${said(body, bytes)}`);
    refresh(); // a message may carry new names
  },
  sent: ({ from, to, text, bytes }: { from: number; to: number; text?: string; bytes?: number }) => {
    counted();
    pulse(from, to);
    trace('sent', `switch → ${to}: ${said(text, bytes)}`);
  },
  warning: ({ text }: { text: string }) => trace('warning', text),
  fault: ({ text }: { text: string }) => {
    trace('fault', `fault: ${text}`);
    refresh();
  },
  trace: (entry: DoorbellTrace & { bytes?: number }) => {
    if (entry.passed > 0) pulse(entry.from, entry.to, entry.links);
    trace('trace', doorbellLine(entry));
    refresh(); // the counters moved
  },
};

function counted(): void {
  byId('messages').textContent = String(++messages);
}

/** A sampled doorbell as a trace line: who rang whom, across which links, and what became of it. */
function doorbellLine(entry: DoorbellTrace & { bytes?: number }): string {
  const who = (id: number): string => name(id, nodeOfPeer(id)?.nodename);
  const what =
    entry.text === undefined && entry.bytes === undefined
      ? `ring ${entry.vector}`
      : entry.text === undefined
        ? said(undefined, entry.bytes)
        : `"${said(entry.text, undefined)}"`;
  const fate =
    entry.outcome === 'dropped'
      ? `lost: ${entry.reason ?? 'dropped'}`
      : entry.outcome === 'delayed'
        ? `${entry.delayUs} µs`
        : 'at once';
  return `${who(entry.from)} → ${who(entry.to)} ${what} via ${entry.links.join(', ')} (${fate})`;
}

const stream = readEvents('/api/v1/events', authorization, {
  open() {
    byId('live').className = 'on';
    byId('state').textContent = 'live';
    refresh();
  },
  error() {
    byId('live').className = '';
    byId('state').textContent = 'reconnecting';
  },
  event(type, data) {
    handlers[type]?.(data as never);
  },
});

/** Says whether message text is shown, and why not. */
function textNote(server: ServerView): void {
  const note = byId('text-note');
  note.hidden = server.messageText;
  note.textContent = server.token
    ? 'Message text is hidden: this server shows it only with the token (enter it below).'
    : 'Message text is hidden: the server has no token (start it with --http-token FILE); sizes, ids and names are shown.';
}

/** The token typed in: kept only if the server takes it; then the stream carries message text. */
async function unlock(): Promise<void> {
  const typed = byId<HTMLInputElement>('token').value.trim();
  const result = byId('result');
  const res = await fetch('/api/v1/server', { headers: typed ? { Authorization: `Bearer ${typed}` } : {} });
  if (!res.ok) {
    result.textContent = `${res.status}: ${((await res.json()) as { error?: string }).error ?? 'refused'}`;
    return;
  }
  token = typed;
  textNote((await res.json()) as ServerView);
  result.textContent = token ? 'token taken: message text shown' : '';
  stream.restart();
}

/** The controls: the token when the server has one; writes when it takes them. */
function controls(server: ServerView): void {
  byId('kind').textContent = server.kind;
  byId('where').textContent = `${server.socketPath} · ${server.memory.description}`;
  byId('fault-stat').hidden = !server.switched;
  textNote(server);
  if (!server.token) return;
  byId('controls').hidden = false;
  byId('token').addEventListener('change', () => void unlock());
  if (!server.write) return;
  if (server.switched) {
    faultControls(post);
    refresh(); // the links to choose from
  }
  if (server.kind !== 'fabric') return;
  const send = byId<HTMLFormElement>('send');
  send.hidden = false;
  send.addEventListener('submit', (event) => {
    event.preventDefault();
    post(
      '/api/v1/messages',
      { to: Number(byId<HTMLInputElement>('to').value), text: byId<HTMLInputElement>('text').value },
      'taken by the port',
    );
  });
}

/** A write call with the token typed in the page; the answer (or error) goes under the controls. */
function post(path: string, body: Record<string, unknown>, done: string): void {
  const result = byId('result');
  const headers = {
    'Content-Type': 'application/json',
    Authorization: `Bearer ${byId<HTMLInputElement>('token').value.trim()}`,
  };
  result.textContent = 'sending…';
  fetch(path, { method: 'POST', headers, body: JSON.stringify(body) }).then(
    async (res) => {
      const answer = (await res.json()) as { error?: string; applied?: string };
      result.textContent = res.ok
        ? answer.applied
          ? `${done}: ${answer.applied}`
          : done
        : `${res.status}: ${answer.error}`;
    },
    (error: Error) => {
      result.textContent = error.message;
    },
  );
}

legend();
void fetch('/api/v1/server')
  .then((res) => res.json() as Promise<ServerView>)
  .then(controls);
refresh();
// Names written into a slot and link states come with no event of their own.
setInterval(() => {
  if (document.visibilityState === 'visible') refresh();
}, POLL_MS);
