// The web server: node:http, the route table, the event stream fed by the
// source, and the metrics. Timeouts bound what a slow client can hold.
import { createServer, type Server } from 'node:http';
import { isIP, type AddressInfo } from 'node:net';
import { apiRoutes } from './api.js';
import { TokenGate } from './auth.js';
import { EventBudget } from './event-budget.js';
import { EventStream, type EventStreamLimits } from './event-stream.js';
import { WebMetrics } from './metrics.js';
import type { SourceEvent, SwitchingSource, WebSource } from './model.js';
import { RequestGuard } from './request-guard.js';
import { dispatch } from './routes.js';

export interface WebOptions {
  source: WebSource;
  host?: string;
  /** 0 picks a free port. */
  port: number;
  /** The bearer token: writes and message text need it; without one the API is read-only and shows no text. */
  token?: string;
  /** Host names that mean this server besides localhost and IP addresses (a reverse proxy's). */
  allowedHosts?: readonly string[];
  /** Failed authentications are reported here (at most one line a minute). */
  warn?: (text: string) => void;
  /** The delay before a failed authentication is answered (default 250 ms). */
  failureDelayMs?: number;
  /** Switched doorbells, when there are: links, counters, faults and their changes. */
  switching?: SwitchingSource;
  /** Largest request body (default 16 KiB). */
  maxBodyBytes?: number;
  events?: EventStreamLimits;
  /** Messages and doorbell traces streamed per second at most (default 100); all are counted in the metrics. */
  busyEventsPerSecond?: number;
}

export class WebServer {
  readonly #http: Server;
  readonly #stream: EventStream;
  readonly #options: WebOptions;
  #unsubscribe?: () => void;

  constructor(options: WebOptions) {
    this.#options = options;
    this.#stream = new EventStream(options.events);
    const budget = new EventBudget(options.busyEventsPerSecond);
    const metrics = new WebMetrics(options.source, this.#stream, options.switching, budget);
    const gate = new TokenGate(options.token, { warn: options.warn, failureDelayMs: options.failureDelayMs });
    const routes = apiRoutes({
      source: options.source,
      stream: this.#stream,
      metrics,
      switching: options.switching,
      gate,
      maxBodyBytes: options.maxBodyBytes ?? 16 * 1024,
    });
    // The name it listens on, if a name, means this server too.
    const listenName = options.host !== undefined && isIP(options.host) === 0 ? [options.host] : [];
    const guard = new RequestGuard([...(options.allowedHosts ?? []), ...listenName]);
    this.#http = createServer(
      { headersTimeout: 10_000, requestTimeout: 15_000, keepAliveTimeout: 5_000 },
      (req, res) => void dispatch(routes, guard, req, res),
    );
    const publish = (event: SourceEvent): void => {
      metrics.observe(event);
      if (budget.allows(event)) this.#stream.publish(event);
    };
    this.#subscribe = () => {
      const stops = [options.source.subscribe(publish), options.switching?.subscribe(publish)];
      return () => stops.forEach((stop) => stop?.());
    };
  }

  readonly #subscribe: () => () => void;

  /** Starts listening; the source's events flow from now on. */
  async listen(): Promise<void> {
    const { host = '127.0.0.1', port } = this.#options;
    await new Promise<void>((resolve, reject) => {
      this.#http.once('error', reject);
      this.#http.listen(port, host, () => {
        this.#http.off('error', reject);
        resolve();
      });
    });
    this.#unsubscribe = this.#subscribe();
  }

  get address(): AddressInfo {
    return this.#http.address() as AddressInfo;
  }

  /** http://host:port, with an IPv6 host in brackets. */
  get url(): string {
    const { address, port } = this.address;
    return `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
  }

  async close(): Promise<void> {
    this.#unsubscribe?.();
    this.#stream.close();
    await new Promise<void>((resolve) => {
      this.#http.close(() => resolve());
      this.#http.closeAllConnections();
    });
  }
}

export function createWebServer(options: WebOptions): WebServer {
  return new WebServer(options);
}
