// GET /metrics: Prometheus' text format, with the fabric's figures.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { createServer } from '../../src/server/index.js';
import { connect } from '../../src/client/index.js';
import { createWebServer, serverSource } from '../../src/web/index.js';
import { tempDir } from '../server/helpers.js';
import { join } from 'node:path';
import { call, parsePrometheus, startWeb } from './web-harness.js';
import { FakeSource } from './fake-source.js';

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

test('a link source adds links to the topology and per-link counters to the metrics', async (t) => {
  const source = new FakeSource();
  source.topology = () => ({ directed: false, multigraph: false, graph: { name: 'fake', kind: 'server' as const }, nodes: [1, 2].map((peer) => ({ id: `peer-${peer}`, kind: 'peer' as const, peer })), links: [] });
  const links = { links: () => [{ source: 1, target: 2, state: 'up', doorbells: 7, faults: 1 }] };
  const web = createWebServer({ source, port: 0, links });
  await web.listen();
  t.after(() => web.close());
  const topology = await (await call(`${web.url}/api/v1/topology`, 'GET')).json();
  assert.deepEqual(topology.links, [{ source: 'peer-1', target: 'peer-2', kind: 'doorbells', state: 'up', doorbells: 7, faults: 1 }]);
  const { samples } = parsePrometheus(await (await call(`${web.url}/metrics`, 'GET')).text());
  assert.equal(samples.find((s) => s.name === 'famez_link_doorbells_total' && s.labels.source === '1' && s.labels.target === '2')?.value, 7);
  assert.equal(samples.find((s) => s.name === 'famez_link_faults_total')?.value, 1);
});
