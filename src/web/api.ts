// The endpoints: what each path answers, over a source, the event stream and
// the metrics.
import { TimeoutError } from '../mailbox/index.js';
import { asset, ASSET_PATHS } from './assets.js';
import type { TokenGate } from './auth.js';
import { STREAM_HEADERS, type EventStream } from './event-stream.js';
import { HttpError, readJson, sendJson } from './http-json.js';
import type { WebMetrics } from './metrics.js';
import { faultRoutes } from './fault-routes.js';
import type { ServerView, SwitchingSource, WebSource } from './model.js';
import type { Handler, Request, RouteTable } from './routes.js';
import { withSwitching } from './topology.js';

export interface ApiContext {
  source: WebSource;
  stream: EventStream;
  metrics: WebMetrics;
  switching?: SwitchingSource;
  /** The token's check: writes need it, message text is shown only with it. */
  gate: TokenGate;
  maxBodyBytes: number;
}

/** The page may load only its own files; nothing inline runs. */
const PAGE_SECURITY = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

export const ENDPOINTS: Array<{ method: string; path: string; what: string }> = [
  { method: 'GET', path: '/', what: 'the live page' },
  { method: 'GET', path: '/system', what: "FAME-Z's port table (fabric only)" },
  { method: 'GET', path: '/api/v1/server', what: 'memory, socket, options; whether writing is on' },
  { method: 'GET', path: '/api/v1/peers', what: 'every peer with its port' },
  { method: 'GET', path: '/api/v1/topology', what: 'node-link JSON' },
  { method: 'GET', path: '/api/v1/events', what: 'Server-Sent Events (message text with the token)' },
  { method: 'POST', path: '/api/v1/messages', what: 'a message from the switch (token)' },
  { method: 'GET', path: '/api/v1/faults', what: 'the faults of a switched fabric, by link' },
  {
    method: 'POST',
    path: '/api/v1/faults',
    what: 'a fault change: link down/up, isolate/rejoin, latency, drop, rate, clear (token)',
  },
  { method: 'GET', path: '/metrics', what: 'Prometheus text format' },
];

export function apiRoutes(context: ApiContext): RouteTable {
  const { source, stream, metrics, gate } = context;
  const json =
    (body: () => unknown): Handler =>
    ({ res }) =>
      sendJson(res, 200, body());
  const routes: RouteTable = {
    '/api/v1': { GET: json(() => ({ endpoints: ENDPOINTS.filter((e) => e.path !== '/system' || source.system) })) },
    '/api/v1/server': {
      GET: async ({ req, res }) => {
        const messageText = await gate.holdsToken(req);
        const write = gate.token !== undefined && (source.send !== undefined || context.switching !== undefined);
        sendJson(res, 200, {
          ...source.describe(),
          write,
          switched: context.switching !== undefined,
          token: gate.token !== undefined,
          messageText,
        } satisfies ServerView);
      },
    },
    '/api/v1/peers': { GET: json(() => ({ peers: source.peers() })) },
    '/api/v1/topology': { GET: json(() => withSwitching(source.topology(), context.switching)) },
    '/api/v1/events': {
      GET: async ({ req, res }) => {
        const withText = await gate.holdsToken(req);
        // HEAD: the headers only, holding no place among the clients.
        if (req.method === 'HEAD') return void res.writeHead(200, STREAM_HEADERS).end();
        if (stream.full)
          throw new HttpError(503, 'too many event-stream clients: try again later', { 'Retry-After': '5' });
        stream.attach(req, res, withText);
      },
    },
    '/metrics': {
      GET: async ({ res }) => {
        const text = await metrics.text();
        res.writeHead(200, { 'Content-Type': metrics.contentType, 'Cache-Control': 'no-store' }).end(text);
      },
    },
  };
  for (const path of ASSET_PATHS) {
    routes[path] = {
      GET: ({ res }) => {
        const { type, body } = asset(path);
        res
          .writeHead(200, {
            'Content-Type': type,
            'Content-Length': body.length,
            'Cache-Control': 'no-cache',
            ...PAGE_SECURITY,
          })
          .end(body);
      },
    };
  }
  const system = source.system?.bind(source);
  // FAME-Z's page lived on another origin: this one read-only path allows any.
  if (system)
    routes['/system'] = { GET: ({ res }) => sendJson(res, 200, system(), { 'Access-Control-Allow-Origin': '*' }) };
  routes['/api/v1/faults'] = faultRoutes(context);
  const send = source.send?.bind(source);
  if (send) routes['/api/v1/messages'] = { POST: (request) => postMessage(request, context, send) };
  return routes;
}

async function postMessage(
  { req, res }: Request,
  context: ApiContext,
  send: NonNullable<WebSource['send']>,
): Promise<void> {
  await context.gate.requireToken(req);
  const body = await readJson(req, context.maxBodyBytes);
  const { to, text } = (typeof body === 'object' && body !== null ? body : {}) as { to?: unknown; text?: unknown };
  if (!Number.isInteger(to)) throw new HttpError(400, 'the body needs "to": the id of the port (an integer)');
  if (typeof text !== 'string' || text === '')
    throw new HttpError(400, 'the body needs "text": the message (a non-empty string)');
  if (!context.source.peers().some((peer) => peer.id === to && !peer.builtIn))
    throw new HttpError(404, `no port ${String(to)}`);
  try {
    await send(to as number, text);
  } catch (error) {
    if (error instanceof TimeoutError) throw new HttpError(504, (error as Error).message);
    if (error instanceof RangeError) throw new HttpError(400, error.message);
    throw new HttpError(409, (error as Error).message);
  }
  sendJson(res, 200, { sent: true, to, text });
}
