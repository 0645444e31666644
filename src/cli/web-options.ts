// `--http [ADDR:]PORT` and `--http-token FILE` for `famez server` and `famez
// fabric`: the web server runs beside the service, starts after it and stops
// before it.
import {
  cannotListen,
  createWebServer,
  isLoopback,
  parseListenAddress,
  readToken,
  type ListenAddress,
  type WebOptions,
} from '../web/index.js';
import type { Logger } from './logger.js';
import type { Service } from './service.js';
import { UsageError } from './usage.js';

export const WEB_OPTIONS = {
  http: { type: 'string' },
  'http-token': { type: 'string' },
  'http-allow-host': { type: 'string', multiple: true },
  'http-public': { type: 'boolean' },
  'http-events': { type: 'string' },
} as const;

/** The options' help; `alone` is the port `--http` with no value means, if any. */
export function webHelp(alone?: number): string {
  return `      --http [ADDR:]PORT   serve the live page, the API and /metrics (127.0.0.1 unless ADDR${alone ? `; alone: port ${alone}` : ''})
      --http-token FILE    a bearer token read from FILE (mode 0600): turns the write API on and
                           shows message text to callers that send it
      --http-allow-host NAME  a host name that means this server (a reverse proxy's); repeatable
      --http-public        serve a read-only API without a token on a non-loopback ADDR
      --http-events N|all  messages and doorbell traces streamed per second at most (default 100;
                           all: every one, for measuring; all are counted in /metrics)`;
}

export interface WebPlan {
  listen: ListenAddress;
  token?: string;
  allowedHosts: string[];
  /** A read-only API without a token on a non-loopback address, accepted with --http-public. */
  publicWithoutToken: boolean;
  /** Busy events streamed per second (Infinity: no budget); undefined: the web server's default. */
  busyEventsPerSecond?: number;
}

type WebValues = {
  http?: string;
  'http-token'?: string;
  'http-allow-host'?: string[];
  'http-public'?: boolean;
  'http-events'?: string;
};

export function planWeb(values: WebValues): WebPlan | undefined {
  const tokenFile = values['http-token'];
  if (values.http === undefined) {
    for (const option of ['http-token', 'http-allow-host', 'http-public', 'http-events'] as const) {
      if (values[option] !== undefined) throw new UsageError(`--${option} needs --http: say where to serve`);
    }
    return undefined;
  }
  let listen: ListenAddress;
  try {
    listen = parseListenAddress(values.http);
  } catch (error) {
    throw new UsageError(`invalid value for --http: ${(error as Error).message}`);
  }
  let token: string | undefined;
  try {
    token = tokenFile === undefined ? undefined : readToken(tokenFile);
  } catch (error) {
    throw new UsageError(`invalid value for --http-token: ${(error as Error).message}`);
  }
  const publicWithoutToken = !isLoopback(listen.host) && token === undefined;
  if (publicWithoutToken && !values['http-public']) {
    throw new UsageError(
      `--http ${values.http} serves beyond this machine without --http-token: give a token (--http-token FILE), listen on 127.0.0.1, or accept a read-only public API with --http-public`,
    );
  }
  const allowedHosts = values['http-allow-host'] ?? [];
  const badHost = allowedHosts.find((name) => !/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/i.test(name));
  if (badHost !== undefined)
    throw new UsageError(
      `invalid value for --http-allow-host: "${badHost}" is no host name (letters, digits, dots and dashes)`,
    );
  return { listen, token, allowedHosts, publicWithoutToken, busyEventsPerSecond: busyEvents(values['http-events']) };
}

function busyEvents(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (value === 'all') return Infinity;
  if (!/^[1-9]\d{0,8}$/.test(value))
    throw new UsageError(
      `invalid value for --http-events: "${value}" is neither a whole number of events per second (1 or more) nor "all"`,
    );
  return Number(value);
}

/** `--http` with no value (last, or before another option) means `--http=PORT`: FAME-Z's port for the fabric. */
export function defaultHttpPort(args: string[], port: number): string[] {
  return args.map((arg, i) =>
    arg === '--http' && (i === args.length - 1 || args[i + 1]!.startsWith('-')) ? `--http=${port}` : arg,
  );
}

/** What the web server shows: the server or fabric, and its switched doorbells if any (made once listening). */
export type WebSources = Pick<WebOptions, 'source' | 'switching'>;

/** The service with the web server beside it (unchanged without a plan). */
export function withWeb(service: Service, plan: WebPlan | undefined, sources: () => WebSources, log: Logger): Service {
  if (!plan) return service;
  let web: ReturnType<typeof createWebServer> | undefined;
  return {
    ...service,
    async listen() {
      await service.listen();
      web = createWebServer({
        ...sources(),
        host: plan.listen.host,
        port: plan.listen.port,
        token: plan.token,
        allowedHosts: plan.allowedHosts,
        warn: (text) => log.warn('http-auth', text),
        busyEventsPerSecond: plan.busyEventsPerSecond,
      });
      try {
        await web.listen();
      } catch (error) {
        await service.close();
        throw new Error(cannotListen(plan.listen, error as Error));
      }
    },
    announce() {
      service.announce();
      log.info(
        'http',
        `web on ${web!.url}/ (API /api/v1, metrics /metrics${plan.token ? ', writes and message text with the token' : ', read-only, no message text'})`,
        { url: web!.url, write: plan.token !== undefined },
      );
      if (plan.publicWithoutToken)
        log.warn(
          'http-public',
          `the web API on ${web!.url} is open to the network without a token (--http-public): anyone who reaches it sees the peers, their names, ids and counters (no message text)`,
          { url: web!.url },
        );
    },
    async close() {
      await web?.close();
      await service.close();
    },
  };
}
