// DNS rebinding in a real Chromium: a page of evil.example whose name then
// resolves to 127.0.0.1 (--host-resolver-rules) asks famez for everything,
// with the token even, and reads nothing; a page of another origin cannot
// read the API nor change anything; FAME-Z's /system stays readable to it.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { openBrowser } from './browser.js';
import { startWeb, TOKEN } from './web-harness.js';

const PATHS = [
  '/',
  '/api/v1/peers',
  '/api/v1/server',
  '/api/v1/topology',
  '/api/v1/events',
  '/metrics',
  '/system',
  '/app.js',
];

test('a rebound page (evil.example resolving to 127.0.0.1) reads nothing and changes nothing; another origin cannot read the API', {
  timeout: 60_000,
}, async (t) => {
  const h = await startWeb(t, { token: TOKEN }, { switched: true });
  const peer = await h.peer({ nodename: 'z01', cclass: 'Debugger' });
  await peer.send(peer.serverId, 'ping');
  await peer.expect(peer.serverId, 'pong');
  const port = h.web.address.port;
  // Chromium's own guard (Private Network Access) is off: famez must hold without it, as in browsers that have none.
  const browser = await openBrowser([
    `--host-resolver-rules=MAP evil.example 127.0.0.1, MAP foreign.example 127.0.0.1`,
    '--disable-features=BlockInsecurePrivateNetworkRequests,PrivateNetworkAccessSendPreflights,PrivateNetworkAccessRespectPreflightResults,LocalNetworkAccessChecks',
  ]);
  t.after(() => browser.close());
  const page = await browser.context.newPage();

  // The name now points at famez: famez itself refuses the page.
  const direct = await page.goto(`http://evil.example:${port}/`);
  assert.equal(direct?.status(), 421);

  // The attacker's page was loaded before the name was rebound (served here by the test); its requests now reach famez.
  await page.route(`http://evil.example:${port}/attack`, (route) =>
    route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>evil</title>' }),
  );
  await page.goto(`http://evil.example:${port}/attack`);
  const results = await page.evaluate(
    async ({ paths, token }) => {
      const seen: Record<string, string> = {};
      for (const path of paths) {
        const res = await fetch(path, { headers: { Authorization: `Bearer ${token}` } });
        seen[path] = `${res.status} ${(await res.text()).slice(0, 60)}`;
      }
      const post = await fetch('/api/v1/faults', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
        body: '{"action":"isolate","peer":1}',
      });
      seen.post = String(post.status);
      seen.stream = await new Promise<string>((resolve) => {
        const events = new EventSource('/api/v1/events');
        events.onopen = () => {
          events.close();
          resolve('open');
        };
        events.onerror = () => {
          events.close();
          resolve('refused');
        };
      });
      return seen;
    },
    { paths: PATHS, token: TOKEN },
  );
  for (const path of PATHS)
    assert.match(
      results[path]!,
      /^421 \{"error":"Host \\"evil\.example:\d+\\" is not this server/,
      `${path}: ${results[path]}`,
    );
  assert.equal(results.post, '421');
  assert.equal(results.stream, 'refused');

  // A page of another origin: no CORS on the API (reading fails), a change refused; /system is FAME-Z's, readable by
  // any page.
  await page.route(`http://foreign.example:${port}/`, (route) =>
    route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>foreign</title>' }),
  );
  await page.goto(`http://foreign.example:${port}/`);
  const foreign = await page.evaluate(async (api) => {
    const read = async (path: string): Promise<string> => {
      try {
        return `read ${(await (await fetch(`${api}${path}`)).text()).slice(0, 40)}`;
      } catch (error) {
        return `blocked ${(error as Error).name}`;
      }
    };
    // A "simple" request needs no preflight: it reaches the server, whose answer the page cannot read.
    await fetch(`${api}/api/v1/faults`, {
      method: 'POST',
      mode: 'no-cors',
      headers: { 'Content-Type': 'text/plain' },
      body: '{"action":"isolate","peer":1}',
    }).catch(() => undefined);
    return { peers: await read('/api/v1/peers'), server: await read('/api/v1/server'), system: await read('/system') };
  }, `http://127.0.0.1:${port}`);
  assert.deepEqual(
    { peers: foreign.peers, server: foreign.server },
    { peers: 'blocked TypeError', server: 'blocked TypeError' },
  );
  assert.match(foreign.system, /^read \{"nClients":14/);
  assert.deepEqual(h.fabric.router!.faults(), [], 'no page changed anything');
  await browser.close();
  await h.done();
});
