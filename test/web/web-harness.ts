// A fabric with the web server in front of it, over real sockets and HTTP.
import type { TestContext } from 'node:test';
import { start, type Harness } from '../fabric/harness.js';
import { createWebServer, fabricSource, type WebOptions, type WebServer } from '../../src/web/index.js';

export const TOKEN = 'a-test-token-of-32-characters!!!';

export interface WebHarness extends Harness {
  web: WebServer;
  url: string;
  get(path: string, headers?: Record<string, string>): Promise<Response>;
  post(path: string, body: string, headers?: Record<string, string>): Promise<Response>;
}

export async function startWeb(t: TestContext, options: Partial<WebOptions> = {}): Promise<WebHarness> {
  const harness = await start(t);
  const web = createWebServer({ source: fabricSource(harness.fabric), port: 0, ...options });
  await web.listen();
  t.after(() => web.close());
  const url = web.url;
  return {
    ...harness, web, url,
    async done() {
      await web.close();
      await harness.done();
    },
    get: (path, headers = {}) => fetch(`${url}${path}`, { headers }),
    post: (path, body, headers = {}) => fetch(`${url}${path}`, { method: 'POST', body, headers: { 'Content-Type': 'application/json', ...headers } }),
  };
}

/** Prometheus' text exposition format, line by line; throws on a line that is none of its forms. */
export function parsePrometheus(text: string): { types: Map<string, string>; samples: Array<{ name: string; labels: Record<string, string>; value: number }> } {
  const types = new Map<string, string>();
  const samples: Array<{ name: string; labels: Record<string, string>; value: number }> = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ')) continue;
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) { types.set(type[1]!, type[2]!); continue; }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*)\})? (\S+)(?: \d+)?$/.exec(line);
    if (!sample) throw new Error(`not Prometheus text: ${line}`);
    const labels = Object.fromEntries([...(sample[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1]!, m[2]!]));
    const value = sample[3] === '+Inf' ? Infinity : sample[3] === '-Inf' ? -Infinity : Number(sample[3]);
    if (Number.isNaN(value) && sample[3] !== 'NaN') throw new Error(`not a number: ${line}`);
    samples.push({ name: sample[1]!, labels, value });
  }
  return { types, samples };
}
