// A fixed table of paths and methods: an unknown path is a JSON 404, a known
// path with another method a JSON 405 that lists the allowed ones.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError, sendJson } from './http-json.js';
import type { RequestGuard } from './request-guard.js';

export interface Request {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
}

export type Handler = (request: Request) => void | Promise<void>;
export type Method = 'GET' | 'POST';
export type RouteTable = Record<string, Partial<Record<Method, Handler>>>;

export async function dispatch(
  routes: RouteTable,
  guard: RequestGuard,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  try {
    guard.check(req);
    // The host is fixed: only the path and query of the request are read.
    const url = new URL(req.url ?? '/', 'http://famez.invalid');
    const route = Object.hasOwn(routes, url.pathname) ? routes[url.pathname]! : undefined;
    if (!route) throw new HttpError(404, `no such path: ${url.pathname} (see GET /api/v1)`);
    const method = req.method === 'HEAD' ? 'GET' : req.method;
    const handler = method === 'GET' || method === 'POST' ? route[method] : undefined;
    if (!handler) {
      const allowed = Object.keys(route)
        .flatMap((m) => (m === 'GET' ? ['GET', 'HEAD'] : [m]))
        .join(', ');
      throw new HttpError(405, `${req.method} is not allowed on ${url.pathname}: use ${allowed}`, { Allow: allowed });
    }
    await handler({ req, res, url });
  } catch (error) {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (error instanceof HttpError) sendJson(res, error.status, { error: error.message }, error.headers);
    else sendJson(res, 500, { error: `internal error: ${(error as Error).message}` });
  }
}
