// Who may ask what, over real HTTP with forged headers: a Host that is not
// this server gets 421 (DNS rebinding), a change from another origin's page
// 403 even with the token, message text only with the token, a wrong token
// a delayed 401 that blocks no one and is logged once a minute; HEAD answers
// every GET path with headers only.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { lookup } from 'node:dns/promises';
import { hostname } from 'node:os';
import { createWebServer, ENDPOINTS, isLoopback } from '../../src/web/index.js';
import { FakeSource } from './fake-source.js';
import { waitFor } from '../helpers/fds.js';
import { EventClient } from './event-client.js';
import { call, startWeb, TOKEN } from './web-harness.js';

const AUTH = { Authorization: `Bearer ${TOKEN}` };
const GET_PATHS = [
  ...ENDPOINTS.filter((e) => e.method === 'GET').map((e) => e.path),
  '/app.js',
  '/graph.js',
  '/d3.min.js',
];

test('a Host that is not this server is a 421 on every path; localhost, IP addresses and --http-allow-host names pass', {
  timeout: 30_000,
}, async (t) => {
  const h = await startWeb(t, { token: TOKEN, allowedHosts: ['famez.proxy.example'] });
  const port = h.web.address.port;
  for (const path of GET_PATHS) {
    for (const host of [
      `evil.example:${port}`,
      'evil.example',
      `127.0.0.1.evil.example:${port}`,
      `localhost.evil.example:${port}`,
      'a b',
      `famez.proxy.example.evil:${port}`,
    ]) {
      const res = await call(`${h.url}${path}`, 'GET', { Host: host, ...AUTH });
      assert.equal(res.status, 421, `${path} with Host ${host}`);
      assert.match((await res.json()).error, /is not this server.*--http-allow-host/);
    }
  }
  const posted = await call(
    `${h.url}/api/v1/messages`,
    'POST',
    { Host: `evil.example:${port}`, 'Content-Type': 'application/json', ...AUTH },
    '{"to":1,"text":"x"}',
  );
  assert.equal(posted.status, 421, 'a write with the token from a rebound name');
  for (const host of [
    `localhost:${port}`,
    `127.0.0.1:${port}`,
    `[::1]:${port}`,
    `LOCALHOST:${port}`,
    'famez.proxy.example',
    `Famez.Proxy.Example:${port}`,
  ]) {
    assert.equal((await call(`${h.url}/api/v1/peers`, 'GET', { Host: host })).status, 200, `Host ${host}`);
  }
  await h.done();
  // The name given to listen on means this server too (where this machine's name resolves to loopback).
  const name = hostname();
  if (!isLoopback((await lookup(name)).address)) return t.diagnostic(`${name} is not a loopback name here: not tried`);
  const named = createWebServer({ source: new FakeSource(), host: name, port: 0 });
  await named.listen();
  t.after(() => named.close());
  const url = `http://127.0.0.1:${named.address.port}/api/v1/peers`;
  assert.equal(
    (await call(url, 'GET', { Host: `${name}:${named.address.port}` })).status,
    200,
    'the name it listens on',
  );
  assert.equal((await call(url, 'GET', { Host: `not-${name}:${named.address.port}` })).status, 421);
  await named.close();
});

test("a change asked by another origin's page is a 403 even with the token; reads keep FAME-Z's CORS on /system only", {
  timeout: 30_000,
}, async (t) => {
  const h = await startWeb(t, { token: TOKEN });
  const peer = await h.peer({ nodename: 'z01', cclass: 'Debugger' });
  await peer.send(peer.serverId, 'ping');
  await peer.expect(peer.serverId, 'pong');
  const body = JSON.stringify({ to: peer.id, text: 'from elsewhere' });
  for (const origin of [
    'http://evil.example',
    `http://evil.example:${h.web.address.port}`,
    'null',
    `http://localhost:${h.web.address.port + 1}`,
  ]) {
    const res = await h.post('/api/v1/messages', body, { ...AUTH, Origin: origin });
    assert.equal(res.status, 403, `Origin ${origin}`);
    assert.match((await res.json()).error, /may not change anything here/);
  }
  assert.equal(
    (await h.post('/api/v1/faults', '{"action":"clear"}', { ...AUTH, Origin: 'http://evil.example' })).status,
    403,
  );
  const same = await h.post('/api/v1/messages', JSON.stringify({ to: peer.id, text: 'from the page' }), {
    ...AUTH,
    Origin: h.url,
  });
  assert.equal(same.status, 200, 'the page famez serves may');
  await peer.expect(peer.serverId, 'from the page');
  assert.ok(!peer.received.some((m) => m.body === 'from elsewhere'), 'nothing from another origin arrived');
  const peers = await h.get('/api/v1/peers', { Origin: 'http://evil.example' });
  assert.equal(peers.headers.get('access-control-allow-origin'), null, "no CORS: another origin's page cannot read it");
  assert.equal(
    (await h.get('/system', { Origin: 'http://fame-z.example' })).headers.get('access-control-allow-origin'),
    '*',
  );
  await h.done();
});

test('message text only with the token: the stream and the API show sizes, ids and names without it', {
  timeout: 30_000,
}, async (t) => {
  const h = await startWeb(t, { token: TOKEN });
  const anonymous = await EventClient.open(h.url);
  const holder = await EventClient.open(h.url, AUTH);
  const peer = await h.peer({ nodename: 'z01', cclass: 'Debugger' });
  await peer.send(peer.serverId, 'secret-password-123');
  const seen = await anonymous.expect('message', (data) => data.from === peer.id);
  assert.deepEqual(
    { ...seen.data, at: undefined },
    { from: peer.id, to: peer.serverId, nodename: 'z01', bytes: 19, tracker: 1, at: undefined },
  );
  assert.equal((await holder.expect('message', (data) => data.from === peer.id)).data.body, 'secret-password-123');
  // The switch's warning quotes the unknown request: the quote becomes its size.
  assert.match(String((await anonymous.expect('warning')).data.text), /unknown request \(19 bytes\)/);
  assert.match(String((await holder.expect('warning')).data.text), /unknown request "secret-password-123"/);
  await peer.send(peer.serverId, 'ping');
  await peer.expect(peer.serverId, 'pong');
  const reply = await anonymous.expect('sent', (data) => data.to === peer.id);
  assert.equal(reply.data.text, undefined);
  assert.equal(typeof reply.data.bytes, 'number');
  assert.ok(
    !JSON.stringify(anonymous.events).includes('secret-password'),
    `no text anywhere in the anonymous stream: ${JSON.stringify(anonymous.events)}`,
  );
  // Reconnecting with Last-Event-ID replays the kept events in the caller's form.
  const replay = await EventClient.open(h.url, { 'Last-Event-ID': '0' });
  await replay.expect('message', (data) => data.from === peer.id && data.bytes === 19 && data.body === undefined);
  const server = await (await h.get('/api/v1/server')).json();
  assert.deepEqual({ token: server.token, messageText: server.messageText }, { token: true, messageText: false });
  assert.equal((await (await h.get('/api/v1/server', AUTH)).json()).messageText, true);
  await Promise.all([anonymous.close(), holder.close(), replay.close()]);
  await h.done();
});

test('a wrong token is a 401 answered after a delay that blocks no other request, and logged at most once a minute', {
  timeout: 30_000,
}, async (t) => {
  const warnings: string[] = [];
  const h = await startWeb(t, { token: TOKEN, failureDelayMs: 1500, warn: (text) => warnings.push(text) });
  const order: string[] = [];
  const wrong = call(`${h.url}/api/v1/events`, 'GET', { Authorization: 'Bearer not-the-token' }).then((res) => {
    order.push('wrong');
    return res;
  });
  const again = call(`${h.url}/api/v1/server`, 'GET', { Authorization: 'Bearer still-not-it' }).then((res) => {
    order.push('wrong');
    return res;
  });
  await waitFor(() => warnings.length > 0, 'the failure to be logged');
  const peers = await h.get('/api/v1/peers');
  order.push('other');
  assert.equal(peers.status, 200);
  const [first, second] = await Promise.all([wrong, again]);
  assert.deepEqual([first.status, second.status], [401, 401]);
  assert.match(first.headers.get('www-authenticate') ?? '', /^Bearer/);
  assert.equal(order[0], 'other', 'the failures wait on a timer, not on the event loop');
  assert.equal(warnings.length, 1, 'two failures in a row: one line');
  assert.match(warnings[0]!, /failed authentication from 127\.0\.0\.1 \(GET \/api\/v1\/\S+: wrong token\)/);
  await h.done();
});

test('HEAD answers every GET path with its headers and no body; HEAD on the stream holds no client slot', {
  timeout: 30_000,
}, async (t) => {
  const h = await startWeb(t, { events: { maxClients: 1 } }, { switched: true });
  for (const path of GET_PATHS) {
    const res = await call(`${h.url}${path}`, 'HEAD');
    assert.equal(res.status, 200, `HEAD ${path}`);
    assert.ok(res.headers.get('content-type'), `HEAD ${path}: a content type`);
    assert.equal((await res.arrayBuffer()).byteLength, 0, `HEAD ${path}: no body`);
  }
  assert.match((await call(`${h.url}/api/v1/events`, 'HEAD')).headers.get('content-type') ?? '', /^text\/event-stream/);
  const metrics = await (await h.get('/metrics')).text();
  assert.match(metrics, /^famez_web_event_clients 0$/m);
  const stream = await EventClient.open(h.url); // the one slot is still free
  assert.equal(stream.response.statusCode, 200);
  await stream.close();
  await h.done();
});
