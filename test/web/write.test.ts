// The write API and bad input: refused without the token, JSON only, bodies
// bounded, and every error a JSON answer that names the problem.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { call, startWeb, TOKEN } from './web-harness.js';

const bearer = { Authorization: `Bearer ${TOKEN}` };

test('without --http-token the write API is off', async (t) => {
  const h = await startWeb(t);
  const res = await h.post('/api/v1/messages', JSON.stringify({ to: 1, text: 'ping' }), bearer);
  assert.equal(res.status, 403);
  assert.match((await res.json()).error, /--http-token/);
  assert.equal((await (await h.get('/api/v1/server')).json()).write, false);
  await h.done();
});

test('a message from the switch needs the bearer token, and reaches the port', async (t) => {
  const h = await startWeb(t, { token: TOKEN });
  const peer = await h.peer({ nodename: 'z01', cclass: 'Debugger' });
  await peer.send(peer.serverId, 'ping'); // a live driver: the switch may send to it
  await peer.expect(peer.serverId, 'pong');
  const body = JSON.stringify({ to: peer.id, text: 'hello from the web' });
  for (const headers of [
    {},
    { Authorization: 'Bearer wrong-token' },
    { Authorization: `Bearer ${TOKEN} extra` },
    { Authorization: `Basic ${TOKEN}` },
    { Cookie: `token=${TOKEN}` },
  ]) {
    const res = await h.post('/api/v1/messages', body, headers as Record<string, string>);
    assert.equal(res.status, 401, JSON.stringify(headers));
    assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer/);
  }
  const res = await h.post('/api/v1/messages', body, bearer);
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { sent: true, to: peer.id, text: 'hello from the web' });
  await peer.expect(peer.serverId, 'hello from the web');
  assert.equal((await (await h.get('/api/v1/server')).json()).write, true);
  await h.done();
});

test('bad bodies: each a 4xx naming the problem', async (t) => {
  const h = await startWeb(t, { token: TOKEN, maxBodyBytes: 1024 });
  const peer = await h.peer();
  await peer.send(peer.serverId, 'ping');
  await peer.expect(peer.serverId, 'pong');
  const quiet = await h.peer();
  const cases: Array<[string, Record<string, string>, number, RegExp]> = [
    ['{"to": 1, "text":', {}, 400, /not valid JSON/],
    ['to=1&text=x', { 'Content-Type': 'application/x-www-form-urlencoded' }, 415, /must be JSON/],
    [JSON.stringify({ to: 'one', text: 'x' }), {}, 400, /"to"/],
    [JSON.stringify({ to: peer.id, text: '' }), {}, 400, /"text"/],
    [JSON.stringify({ to: 9, text: 'x' }), {}, 404, /no port 9/],
    [JSON.stringify({ to: peer.id, text: 'x'.repeat(2000) }), {}, 413, /at most 1024/],
    [JSON.stringify({ to: peer.id, text: 'x'.repeat(500) }), {}, 400, /at most \d+ bytes with its tracker/],
    [JSON.stringify({ to: quiet.id, text: 'x' }), {}, 409, /no live driver/],
  ];
  for (const [body, headers, status, error] of cases) {
    const res = await h.post('/api/v1/messages', body, { ...bearer, ...headers });
    assert.equal(res.status, status, body.slice(0, 40));
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    assert.match((await res.json()).error, error);
  }
  await h.done();
});

test('unknown paths are JSON 404s, other methods JSON 405s with Allow', async (t) => {
  const h = await startWeb(t);
  const missing = await h.get('/api/v1/nothing');
  assert.equal(missing.status, 404);
  assert.match((await missing.json()).error, /no such path: \/api\/v1\/nothing/);
  const wrong = await call(`${h.url}/api/v1/peers`, 'DELETE');
  assert.equal(wrong.status, 405);
  assert.equal(wrong.headers.get('allow'), 'GET, HEAD');
  assert.match((await wrong.json()).error, /DELETE is not allowed/);
  const get = await h.get('/api/v1/messages');
  assert.equal(get.status, 405);
  assert.equal(get.headers.get('allow'), 'POST');
  await h.done();
});
