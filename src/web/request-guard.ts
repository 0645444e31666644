// Who may ask: a request's Host must name this server (so a page whose name
// was rebound to our address, DNS rebinding, reads nothing), and a request
// that changes something must not come from another origin's page, token or
// not. IP addresses and localhost cannot be rebound; other names (a reverse
// proxy's) are allowed by name.
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { HttpError } from './http-json.js';

const bare = (hostname: string): string => hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();

/** A Host header ("name:port", "[::1]:port") as a URL; undefined when it is no host. */
function hostUrl(header: string): URL | undefined {
  try {
    const url = new URL(`http://${header}`);
    return url.pathname === '/' && !url.username && !url.password && !url.search && !url.hash ? url : undefined;
  } catch {
    return undefined;
  }
}

export class RequestGuard {
  readonly #names: ReadonlySet<string>;

  /** `names`: host names besides localhost and IP addresses that mean this server (a reverse proxy's). */
  constructor(names: readonly string[] = []) {
    this.#names = new Set(['localhost', ...names.map((name) => bare(name))]);
  }

  /** Throws 421 for a Host that is not this server, 403 for a change asked by another origin's page. */
  check(req: IncomingMessage): void {
    const header = req.headers.host;
    if (header !== undefined) {
      const url = hostUrl(header);
      const name = url && bare(url.hostname);
      if (name === undefined || (isIP(name) === 0 && !this.#names.has(name))) {
        throw new HttpError(
          421,
          `Host ${JSON.stringify(header)} is not this server: famez answers to localhost, IP addresses${this.#names.size > 1 ? ` and ${[...this.#names].filter((n) => n !== 'localhost').join(', ')}` : ''}; add a name with --http-allow-host NAME`,
        );
      }
    }
    if (req.method === 'GET' || req.method === 'HEAD') return;
    const origin = req.headers.origin;
    if (origin === undefined) return;
    let host: string | undefined;
    try {
      host = new URL(origin).host;
    } catch {
      // "null" (a sandboxed or file page) or no URL at all
    }
    if (host === undefined || header === undefined || host !== hostUrl(header)?.host) {
      throw new HttpError(
        403,
        `a page from ${origin} may not change anything here (only pages served by famez itself may)`,
      );
    }
  }
}
