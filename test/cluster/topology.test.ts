// The cluster in /api/v1/topology: hosts as switches, the links between
// hosts with counters, and faults on them over the web API that drop and
// restore traffic between peers of two hosts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectFabric } from '../../src/fabric/index.js';
import { createWebServer, fabricSource, type TopologyLink } from '../../src/web/index.js';
import { clusterSwitching } from '../../src/web/cluster-web.js';
import { tempDir, waitFor } from '../server/helpers.js';
import { call, TOKEN } from '../web/web-harness.js';
import { fabricHost } from './hosts.js';
import { NatsServer, natsMissing } from './nats-server.js';

const AUTH = { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' };

test('hosts are switches and inter-host links are links in the topology; a link taken down drops traffic, brought up restores it', {
  timeout: 90_000,
  skip: natsMissing,
}, async (t) => {
  const nats = await NatsServer.start(t);
  const dir = tempDir(t);
  const one = await fabricHost(t, dir, 'one', nats.url);
  const two = await fabricHost(t, dir, 'two', nats.url);
  const web = createWebServer({
    source: fabricSource(one.fabric),
    switching: clusterSwitching(one.node, (id) => one.fabric.ports.has(id)),
    port: 0,
    token: TOKEN,
  });
  await web.listen();
  t.after(() => web.close());
  const sender = await connectFabric({ path: one.fabric.socketPath, replyTimeoutMs: 500 });
  t.after(() => sender.close());
  const receiver = await connectFabric({ path: two.fabric.socketPath });
  t.after(() => receiver.close());
  await waitFor(() => sender.client.peers.has(receiver.id), 'host one to know the remote peer', 10_000);
  await waitFor(() => receiver.client.peers.has(sender.id), 'host two to know the sender', 10_000);
  await sender.send(receiver.id, 'before');

  const topology = (await (await call(`${web.url}/api/v1/topology`, 'GET')).json()) as {
    nodes: Array<{ id: string; kind: string }>;
    links: TopologyLink[];
  };
  assert.ok(
    topology.nodes.some((node) => node.id === 'switch:one' && node.kind === 'switch'),
    JSON.stringify(topology.nodes),
  );
  assert.ok(
    topology.nodes.some((node) => node.id === 'switch:two' && node.kind === 'switch'),
    JSON.stringify(topology.nodes),
  );
  const hostLink = topology.links.find((link) => link.name === 'host:two');
  assert.deepEqual(
    { source: hostLink?.source, target: hostLink?.target, kind: hostLink?.kind, state: hostLink?.state },
    { source: 'switch:one', target: 'switch:two', kind: 'switch-link', state: 'up' },
  );
  assert.ok(
    (hostLink?.counters?.messages ?? 0) >= 1,
    `the message crossed host:two: ${JSON.stringify(hostLink?.counters)}`,
  );
  // Each host's page shows its own peers, each on its own link to this host's switch.
  const ownLink = topology.links.find((link) => link.name === `peer:${sender.id}`);
  assert.deepEqual(
    { source: ownLink?.source, target: ownLink?.target },
    { source: `peer-${sender.id}`, target: 'switch:one' },
  );

  const down = await call(
    `${web.url}/api/v1/faults`,
    'POST',
    AUTH,
    JSON.stringify({ action: 'down', link: 'host:two' }),
  );
  assert.equal(down.status, 200, await down.text());
  await assert.rejects(sender.send(receiver.id, 'across a down link'), /did not take the message within 500 ms/);
  const unknown = await call(
    `${web.url}/api/v1/faults`,
    'POST',
    AUTH,
    JSON.stringify({ action: 'down', link: 'host:nowhere' }),
  );
  assert.equal(unknown.status, 400);
  assert.match(await unknown.text(), /no link host:nowhere: the cluster's links are host:two, peer:\d+, peer:\d+/);
  const after = (await (await call(`${web.url}/api/v1/topology`, 'GET')).json()) as { links: TopologyLink[] };
  const downLink = after.links.find((link) => link.name === 'host:two')!;
  assert.equal(downLink.state, 'down');
  assert.ok(downLink.counters!.dropped >= 1, JSON.stringify(downLink.counters));

  assert.equal(
    (await call(`${web.url}/api/v1/faults`, 'POST', AUTH, JSON.stringify({ action: 'up', link: 'host:two' }))).status,
    200,
  );
  const taken = new Promise<string>((resolve) =>
    receiver.on('message', (message) => {
      if (message.body === 'after') resolve(message.body);
    }),
  );
  await sender.send(receiver.id, 'after');
  assert.equal(await taken, 'after');
});
