// `--http [ADDR:]PORT` and `--http-token FILE` for `famez server` and `famez
// fabric`: the web server runs beside the service, starts after it and stops
// before it.
import { createWebServer, parseListenAddress, readToken, type ListenAddress, type WebOptions } from '../web/index.js';
import type { Logger } from './logger.js';
import type { Service } from './service.js';
import { UsageError } from './usage.js';

export const WEB_OPTIONS = {
  http: { type: 'string' },
  'http-token': { type: 'string' },
} as const;

/** The options' help; `alone` is the port `--http` with no value means, if any. */
export function webHelp(alone?: number): string {
  return `      --http [ADDR:]PORT   serve the live page, the API and /metrics (127.0.0.1 unless ADDR${alone ? `; alone: port ${alone}` : ''})
      --http-token FILE    turn the write API on: a bearer token read from FILE`;
}

export interface WebPlan {
  listen: ListenAddress;
  token?: string;
}

export function planWeb(values: { http?: string; 'http-token'?: string }): WebPlan | undefined {
  const tokenFile = values['http-token'];
  if (values.http === undefined) {
    if (tokenFile !== undefined) throw new UsageError('--http-token needs --http: say where to serve');
    return undefined;
  }
  let listen: ListenAddress;
  try {
    listen = parseListenAddress(values.http);
  } catch (error) {
    throw new UsageError(`invalid value for --http: ${(error as Error).message}`);
  }
  try {
    return { listen, token: tokenFile === undefined ? undefined : readToken(tokenFile) };
  } catch (error) {
    throw new UsageError(`invalid value for --http-token: ${(error as Error).message}`);
  }
}

/** `--http` with no value (last, or before another option) means `--http=PORT`: FAME-Z's port for the fabric. */
export function defaultHttpPort(args: string[], port: number): string[] {
  return args.map((arg, i) => (arg === '--http' && (i === args.length - 1 || args[i + 1]!.startsWith('-')) ? `--http=${port}` : arg));
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
      web = createWebServer({ ...sources(), host: plan.listen.host, port: plan.listen.port, token: plan.token });
      try {
        await web.listen();
      } catch (error) {
        await service.close();
        throw new Error(`cannot serve http on ${plan.listen.host}:${plan.listen.port}: ${(error as Error).message}`);
      }
    },
    announce() {
      service.announce();
      log.info('http', `web on ${web!.url}/ (API /api/v1, metrics /metrics${plan.token ? ', writes with the token' : ', read-only'})`, { url: web!.url, write: plan.token !== undefined });
    },
    async close() {
      await web?.close();
      await service.close();
    },
  };
}
