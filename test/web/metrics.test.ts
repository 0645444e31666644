// GET /metrics: Prometheus' text format, with the fabric's figures.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { createServer } from '../../src/server/index.js';
import { connect } from '../../src/client/index.js';
import { createWebServer, serverSource } from '../../src/web/index.js';
import { tempDir } from '../server/helpers.js';
import { join } from 'node:path';
import { call, parsePrometheus, startWeb } from './web-harness.js';
import { waitFor } from '../helpers/fds.js';

test('metrics parse as Prometheus text and count peers, joins, leaves and messages per port', async (t) => {
  const h = await startWeb(t);
  const peer = await h.peer({ nodename: 'z01', cclass: 'Debugger' });
  const other = await h.peer();
  other.client.close();
  await peer.send(peer.serverId, 'ping');
  await peer.expect(peer.serverId, 'pong');
  const res = await h.get('/metrics');
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const { types, samples } = parsePrometheus(await res.text());
  const value = (name: string, labels: Record<string, string> = {}) =>
    samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
  assert.equal(types.get('famez_peer_joins_total'), 'counter');
  assert.equal(types.get('famez_peers'), 'gauge');
  assert.equal(value('famez_peers'), 1);
  assert.equal(value('famez_peer_joins_total'), 2);
  assert.equal(value('famez_peer_leaves_total'), 1);
  assert.equal(value('famez_port_messages_total', { port: String(peer.id), nodename: 'z01', direction: 'in' }), 1);
  assert.equal(value('famez_port_messages_total', { port: String(peer.id), direction: 'out' }), 1);
  assert.ok(types.has('nodejs_eventloop_lag_seconds'), 'event-loop lag');
  await h.done();
});

test('refusals are counted by reason; a plain server shows its peers on one socket', async (t) => {
  const dir = tempDir(t);
  const server = createServer({ socketPath: join(dir, 'sock'), memory: { kind: 'memfd', size: 4096 }, maxPeers: 1 });
  await server.listen();
  t.after(() => server.close());
  const web = createWebServer({ source: serverSource(server, { memory: { kind: 'memfd' } }), port: 0 });
  await web.listen();
  t.after(() => web.close());
  const client = await connect({ path: join(dir, 'sock'), timeoutMs: 5000 });
  t.after(() => client.close());
  await assert.rejects(connect({ path: join(dir, 'sock'), timeoutMs: 5000 }));
  const topology = await (await call(`${web.url}/api/v1/topology`, 'GET')).json();
  assert.deepEqual(topology.links, [{ source: `peer-${client.id}`, target: 'server', kind: 'socket' }]);
  assert.equal((await call(`${web.url}/system`, 'GET')).status, 404, 'no FAME-Z table without a fabric');
  const { samples } = parsePrometheus(await (await call(`${web.url}/metrics`, 'GET')).text());
  assert.equal(samples.find((s) => s.name === 'famez_peer_refusals_total' && s.labels.reason === 'full')?.value, 1);
});

test("queue depths: each peer's send queue, and the switch's outbox holding a message its receiver has not taken", async (t) => {
  const h = await startWeb(t, {}, { replyTimeoutMs: 60_000 });
  const peer = await h.peer({ nodename: 'z01', cclass: 'Debugger' });
  peer.takes = false;
  await peer.send(peer.serverId, 'ping');
  await waitFor(() => !peer.mailbox.isFree(peer.serverId) || undefined, 'the switch to put its pong in its slot');
  const { types, samples } = parsePrometheus(await (await h.get('/metrics')).text());
  assert.equal(types.get('famez_peer_send_queue'), 'gauge');
  assert.equal(samples.find((s) => s.name === 'famez_peer_send_queue' && s.labels.peer === String(peer.id))?.value, 0);
  assert.equal(
    samples.find((s) => s.name === 'famez_switch_outbox')?.value,
    1,
    'the pong waits for the peer to take it',
  );
  assert.equal(
    samples.some((s) => s.name.startsWith('famez_link_')),
    false,
    'no link metrics without switched doorbells',
  );
  await h.done();
});
