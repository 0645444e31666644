// A fabric with the web server in front of it, over real sockets and HTTP.
import { request as httpRequest } from 'node:http';
import type { TestContext } from 'node:test';
import { start, type Harness } from '../fabric/harness.js';
import type { MailboxPeer } from '../fabric/mailbox-peer.js';
import type { FabricOptions } from '../../src/fabric/index.js';
import {
  createWebServer,
  fabricSource,
  fabricSwitching,
  type WebOptions,
  type WebServer,
} from '../../src/web/index.js';

export const TOKEN = 'a-test-token-of-32-characters!!!';

export interface WebHarness extends Harness {
  web: WebServer;
  url: string;
  get(path: string, headers?: Record<string, string>): Promise<Response>;
  post(path: string, body: string, headers?: Record<string, string>): Promise<Response>;
}

/** A fabric (switched if `fabric` says so, its router then wired in as the CLI does) and its web server. */
export async function startWeb(
  t: TestContext,
  options: Partial<WebOptions> = {},
  fabric: FabricOptions = {},
): Promise<WebHarness> {
  const harness = await start(t, fabric);
  const web = createWebServer({
    source: fabricSource(harness.fabric),
    switching: fabricSwitching(harness.fabric),
    port: 0,
    ...options,
  });
  await web.listen();
  t.after(() => web.close());
  const url = web.url;
  return {
    ...harness,
    web,
    url,
    async done() {
      await web.close();
      await harness.done();
    },
    get: (path, headers = {}) => call(`${url}${path}`, 'GET', headers),
    post: (path, body, headers = {}) =>
      call(`${url}${path}`, 'POST', { 'Content-Type': 'application/json', ...headers }, body),
  };
}

/**
 * One request on a connection of its own (no pool: no socket outlives the
 * test and upsets its fd count), answered as a fetch Response.
 */
export function call(
  url: string,
  method: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<Response> {
  return new Promise((resolve, reject) => {
    let answer: Response | undefined;
    const req = httpRequest(url, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        answer = new Response(Buffer.concat(chunks), {
          status: res.statusCode,
          headers: res.headers as Record<string, string>,
        });
      });
    });
    // Answered once the connection is closed too, so that its fd is gone.
    req.on('socket', (socket) =>
      socket.on('close', () =>
        answer ? resolve(answer) : reject(new Error(`${method} ${url}: closed without an answer`)),
      ),
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Prometheus' text exposition format, line by line; throws on a line that is none of its forms. */
export function parsePrometheus(text: string): {
  types: Map<string, string>;
  samples: Array<{ name: string; labels: Record<string, string>; value: number }>;
} {
  const types = new Map<string, string>();
  const samples: Array<{ name: string; labels: Record<string, string>; value: number }> = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ')) continue;
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) {
      types.set(type[1]!, type[2]!);
      continue;
    }
    const sample =
      /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*)\})? (\S+)(?: \d+)?$/.exec(
        line,
      );
    if (!sample) throw new Error(`not Prometheus text: ${line}`);
    const labels = Object.fromEntries(
      [...(sample[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1]!, m[2]!]),
    );
    // As Prometheus reads them (Go's ParseFloat): NaN and Inf in any case.
    const word = sample[3]!.toLowerCase();
    const value =
      word === 'nan'
        ? NaN
        : /^[+-]?inf$/.test(word)
          ? word.startsWith('-')
            ? -Infinity
            : Infinity
          : Number(sample[3]);
    if (Number.isNaN(value) && word !== 'nan') throw new Error(`not a number: ${line}`);
    samples.push({ name: sample[1]!, labels, value });
  }
  return { types, samples };
}

/** Configures the peer's link as FAME-Z's client does: RFC, the switch's CTL-Write, an acknowledgment. */
export async function configureLink(peer: MailboxPeer): Promise<void> {
  await peer.send(peer.serverId, 'Link RFC TTC=27us');
  const tag = /Tag=(\d+)/.exec((await peer.expect(peer.serverId, /^CTL-Write /)).body)![1];
  await peer.send(peer.serverId, `Standalone Acknowledgment Tag=${tag},Reason=OK`);
  await peer.expect(peer.serverId, 'Link CTL Peer-Attribute');
}
