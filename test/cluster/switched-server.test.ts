// `famez server --switched --cluster`: two switched servers joined only
// through a real nats-server. A ring between hosts passes the sender's
// router and then the receiver's, on both peers' own links: isolating a
// peer on its host cuts its cross-host traffic both ways, and the counters
// of the peer links grow with what crosses.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { connect, type Doorbell, type FamezClient } from '../../src/client/index.js';
import { connect as natsConnect } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import { listenClusteredServer, type ClusteredServer } from '../../src/cluster/index.js';
import { decodeWire, encodeWire } from '../../src/cluster/wire.js';
import { isolate } from '../../src/switching/faults.js';
import { Router } from '../../src/switching/router.js';
import { createWebServer, routerSwitching, serverSource, type TopologyLink } from '../../src/web/index.js';
import { clusterSwitching } from '../../src/web/cluster-web.js';
import { switchedClusterSwitching } from '../../src/web/cluster-switched.js';
import { tempDir, waitFor } from '../server/helpers.js';
import { NatsServer, natsMissing } from './nats-server.js';

interface SwitchedHost extends ClusteredServer {
  router: Router;
}

async function switchedHost(t: TestContext, dir: string, node: string, url: string): Promise<SwitchedHost> {
  const router = new Router({ seed: 1 });
  const clustered = await listenClusteredServer(
    {
      socketPath: join(dir, `${node}.sock`),
      memory: { kind: 'memfd', size: 65536 },
      vectors: 4,
      listenFd: 'none',
      switched: true,
      forwarding: router,
    },
    { url, name: 'switched', node, timeoutMs: 2000 },
  );
  t.after(() => clustered.close());
  return { ...clustered, router };
}

/** Switched servers a and b joined only through a fresh nats-server. */
async function twoSwitchedHosts(t: TestContext): Promise<{ nats: NatsServer; a: SwitchedHost; b: SwitchedHost }> {
  const nats = await NatsServer.start(t);
  const dir = tempDir(t);
  return { nats, a: await switchedHost(t, dir, 'a', nats.url), b: await switchedHost(t, dir, 'b', nats.url) };
}

async function client(t: TestContext, host: SwitchedHost): Promise<{ client: FamezClient; heard: Doorbell[] }> {
  const joined = await connect({ path: host.server.socketPath });
  t.after(() => joined.close());
  const heard: Doorbell[] = [];
  joined.on('doorbell', (doorbell) => heard.push(doorbell));
  return { client: joined, heard };
}

const counters = (host: SwitchedHost, id: number) =>
  host.router.counters().get(`peer:${id}`) ?? { forwarded: 0, dropped: 0 };

test("switched servers over NATS: rings cross both routers, isolate cuts a peer's cross-host traffic both ways, rejoin restores it", {
  timeout: 60_000,
  skip: natsMissing,
}, async (t) => {
  const { a, b } = await twoSwitchedHosts(t);
  const one = await client(t, a);
  const two = await client(t, b);
  const [idA, idB] = [one.client.id, two.client.id];
  await waitFor(
    () => one.client.peers.has(idB) && two.client.peers.has(idA),
    'each client to hear of the other',
    10_000,
  );

  one.client.ring(idB, 2);
  await waitFor(() => two.heard.length > 0, 'B to be rung from host a', 10_000);
  two.client.ring(idA, 1);
  await waitFor(() => one.heard.length > 0, 'A to be rung from host b', 10_000);
  assert.deepEqual([one.heard, two.heard], [[{ vector: 1, count: 1 }], [{ vector: 2, count: 1 }]]);
  // Both rings crossed both peers' own links on both hosts.
  for (const host of [a, b]) {
    for (const id of [idA, idB])
      assert.equal(
        counters(host, id).forwarded,
        2,
        `peer:${id} on host ${host.node.plan.node}: ${JSON.stringify(counters(host, id))}`,
      );
  }

  // A isolated on its own host: its ring to B is lost in host a's router, B's ring to it in host a's router too.
  a.router.apply(isolate(idA));
  one.client.ring(idB, 3);
  await waitFor(() => counters(a, idA).dropped === 1, "A's ring to be dropped on its own link", 10_000);
  two.client.ring(idA, 3);
  await waitFor(() => counters(a, idA).dropped === 2, "B's ring to A to be dropped on A's link on host a", 10_000);
  assert.equal(counters(b, idB).forwarded, 3, "B's ring passed host b's router and crossed to host a");

  a.router.apply(isolate(idA, false));
  one.client.ring(idB, 0);
  two.client.ring(idA, 0);
  await waitFor(() => one.heard.length === 2 && two.heard.length === 2, 'the rings after rejoin', 10_000);
  // What was rung while isolated never arrives (NATS keeps one sender's order: it would have come first).
  assert.deepEqual(
    [one.heard, two.heard],
    [
      [
        { vector: 1, count: 1 },
        { vector: 0, count: 1 },
      ],
      [
        { vector: 2, count: 1 },
        { vector: 0, count: 1 },
      ],
    ],
  );
  assert.deepEqual(
    { ...counters(a, idA), delayed: 0 },
    { forwarded: 4, dropped: 2, delayed: 0, messages: 0, bytes: 0 },
  );
});

test("a switched server in a cluster on the web: remote peers on their host's switch, not on this socket; the host link from the router's switch", {
  timeout: 60_000,
  skip: natsMissing,
}, async (t) => {
  const { a, b } = await twoSwitchedHosts(t);
  const hosts = clusterSwitching(a.node, (id) => a.server.peers.get(id)?.credentials !== undefined);
  const web = createWebServer({
    source: serverSource(a.server),
    switching: switchedClusterSwitching(routerSwitching(a.router), a.router, hosts, a.node),
    port: 0,
  });
  await web.listen();
  t.after(() => web.close());
  const here = await client(t, a);
  const there = await client(t, b);
  await waitFor(() => here.client.peers.has(there.client.id), "host a's client to know host b's", 10_000);
  const graph = (await (await fetch(`${web.url}/api/v1/topology`)).json()) as {
    nodes: Array<{ id: string }>;
    links: TopologyLink[];
  };
  const ends = (node: string) =>
    graph.links.filter((link) => link.source === node).map((link) => [link.target, link.kind, link.name]);
  assert.ok(
    graph.nodes.some((node) => node.id === `peer-${there.client.id}`),
    JSON.stringify(graph.nodes),
  );
  assert.deepEqual(ends(`peer-${there.client.id}`), [['switch:b', 'peer-link', `peer:${there.client.id}`]]);
  assert.deepEqual(ends(`peer-${here.client.id}`).sort(), [
    ['server', 'socket', undefined],
    ['switch:switch', 'peer-link', `peer:${here.client.id}`],
  ]);
  assert.deepEqual(ends('switch:switch'), [['switch:b', 'switch-link', 'host:b']]);
});

test("a ring names its sender on the wire, checked; a ring that names another node's peer is refused with a warning", {
  timeout: 60_000,
  skip: natsMissing,
}, async (t) => {
  const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
  assert.equal(decodeWire(bytes('{"t":"ring","node":"a","to":1,"vector":0,"count":1,"from":65536}')), 'a bad ring');
  assert.equal(decodeWire(bytes('{"t":"ring","node":"a","to":1,"vector":0,"count":1,"from":"2"}')), 'a bad ring');
  const ring = { t: 'ring', to: 3, vector: 1, count: 2, from: 7, node: 'a' } as const;
  assert.deepEqual(decodeWire(encodeWire(ring)), ring);

  const { nats, a, b } = await twoSwitchedHosts(t);
  const here = await client(t, a);
  const there = await client(t, b);
  const rogue = await natsConnect({ servers: nats.url });
  t.after(() => rogue.close());
  // A node on NATS claims its name and id in the bucket as famez does (its word alone is not believed).
  const kv = await new Kvm(rogue).open('famez-switched');
  await kv.create('node.rogue', new TextEncoder().encode('r'));
  await kv.create('id.4000', new TextEncoder().encode('rogue'));
  const warnings: string[] = [];
  a.node.on('warning', (line) => warnings.push(line));
  rogue.publish(
    'famez.switched.rogue.all',
    encodeWire({ t: 'state', node: 'rogue', instance: 'r', peers: [{ id: 4000 }] }),
  );
  await waitFor(
    () => here.client.peers.has(4000) && here.client.peers.has(there.client.id),
    "host a's client to know both remote peers",
    10_000,
  );
  // Host b's peer isolated on host a: the rogue cannot ring past that by naming it.
  a.router.apply(isolate(there.client.id));
  rogue.publish(
    'famez.switched.rogue.to.a',
    encodeWire({ t: 'ring', node: 'rogue', to: here.client.id, vector: 1, count: 1, from: there.client.id }),
  );
  await waitFor(
    () =>
      warnings.some((w) =>
        w.startsWith(`cluster: a ring from peer ${there.client.id} on host rogue was not delivered`),
      ),
    () => `the refusal: ${warnings.join(' | ')}`,
    10_000,
  );
  // As its own peer, it rings.
  rogue.publish(
    'famez.switched.rogue.to.a',
    encodeWire({ t: 'ring', node: 'rogue', to: here.client.id, vector: 1, count: 1, from: 4000 }),
  );
  await waitFor(() => here.heard.length === 1, "the rogue's ring", 10_000);
  assert.deepEqual(here.heard, [{ vector: 1, count: 1 }]);
  assert.equal(counters(a, 4000).forwarded, 1, "counted on the rogue's own peer's link");
  assert.equal(
    counters(a, there.client.id).forwarded + counters(a, there.client.id).dropped,
    0,
    "nothing on the named peer's link",
  );
});
