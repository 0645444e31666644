// The cluster on the web, through the HTTP API: every host's page lists the
// remote peers too, with their names, each on its own link to its host's
// switch; switched, the local router's switches and links stand beside the
// hosts and host links, and a fault change goes to whichever owns the link.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectFabric } from '../../src/fabric/index.js';
import {
  createWebServer,
  fabricSource,
  fabricSwitching,
  type PeerView,
  type TopologyLink,
  type TopologyNode,
} from '../../src/web/index.js';
import { clusterSwitching } from '../../src/web/cluster-web.js';
import { switchedClusterSwitching } from '../../src/web/cluster-switched.js';
import type { ClusteredFabric } from '../../src/cluster/index.js';
import { tempDir, waitFor } from '../server/helpers.js';
import { openBrowser } from '../web/browser.js';
import { call, TOKEN } from '../web/web-harness.js';
import { fabricHost } from './hosts.js';
import { NatsServer, natsMissing } from './nats-server.js';

const AUTH = { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' };

interface Graph {
  nodes: TopologyNode[];
  links: TopologyLink[];
}

/** A web server on `host` as the CLI makes it: the cluster's view, and the router's beside it when switched. */
async function web(t: import('node:test').TestContext, host: ClusteredFabric): Promise<string> {
  const hosts = clusterSwitching(host.node, (id) => host.fabric.ports.has(id));
  const router = host.fabric.router;
  const switching = router ? switchedClusterSwitching(fabricSwitching(host.fabric)!, router, hosts, host.node) : hosts;
  const server = createWebServer({ source: fabricSource(host.fabric), switching, port: 0, token: TOKEN });
  await server.listen();
  t.after(() => server.close());
  return server.url;
}

const get = async <T>(url: string): Promise<T> => (await call(url, 'GET')).json() as Promise<T>;
const linkOf = (graph: Graph, name: string) => {
  const link = graph.links.find((candidate) => candidate.name === name);
  return link && { source: link.source, target: link.target, kind: link.kind, state: link.state };
};

test("a cluster's page lists the remote peers with their names, each on its own link to its host's switch", {
  timeout: 90_000,
  skip: natsMissing,
}, async (t) => {
  const nats = await NatsServer.start(t);
  const dir = tempDir(t);
  const one = await fabricHost(t, dir, 'one', nats.url);
  const two = await fabricHost(t, dir, 'two', nats.url);
  const url = await web(t, one);
  const here = await connectFabric({ path: one.fabric.socketPath });
  t.after(() => here.close());
  const there = await connectFabric({ path: two.fabric.socketPath });
  t.after(() => there.close());
  // Names that say where: the remote peer is shown with its host.
  const name = `z${String(there.id).padStart(2, '0')}@two`;
  await waitFor(
    async () =>
      (await get<Graph>(`${url}/api/v1/topology`)).nodes.some(
        (node) => node.id === `peer-${there.id}` && node.nodename === name,
      ),
    "the remote peer on host one's topology with its nodename",
    10_000,
  );
  const graph = await get<Graph>(`${url}/api/v1/topology`);
  const remote = graph.nodes.find((node) => node.id === `peer-${there.id}`)!;
  assert.deepEqual(
    { kind: remote.kind, peer: remote.peer, nodename: remote.nodename },
    { kind: 'peer', peer: there.id, nodename: name },
  );
  assert.ok(remote.cclass, `the remote peer's cclass: ${JSON.stringify(remote)}`);
  assert.deepEqual(linkOf(graph, `peer:${there.id}`), {
    source: `peer-${there.id}`,
    target: 'switch:two',
    kind: 'peer-link',
    state: 'up',
  });
  assert.deepEqual(linkOf(graph, `peer:${here.id}`), {
    source: `peer-${here.id}`,
    target: 'switch:one',
    kind: 'peer-link',
    state: 'up',
  });
  // Not a port of this host's switch: no port link to it.
  assert.equal(graph.links.filter((link) => link.source === `peer-${there.id}`).length, 1, JSON.stringify(graph.links));
  const { peers } = await get<{ peers: PeerView[] }>(`${url}/api/v1/peers`);
  const view = peers.find((peer) => peer.id === there.id);
  assert.deepEqual(
    { builtIn: view?.builtIn, nodename: view?.nodename, cclass: view?.cclass },
    { builtIn: true, nodename: name, cclass: remote.cclass },
  );

  // The page draws it: its node with its names, its own link, and the host link.
  const browser = await openBrowser();
  t.after(() => browser.close());
  const page = await browser.context.newPage();
  await page.goto(url);
  await page.waitForSelector(`g.node[data-id="peer-${there.id}"] text.title:text("${name}")`);
  await page.waitForSelector(`g.node[data-id="peer-${there.id}"] text.sub:text("${remote.cclass}")`);
  await page.waitForSelector('g.node[data-id="switch:two"]');
  await page.waitForSelector(`line[data-link="peer:${there.id}"]`, { state: 'attached' });
  await page.waitForSelector('line[data-link="host:two"]', { state: 'attached' });
  assert.equal(await page.textContent('#peers'), '2', 'the page counts the remote peer among the peers');
});

test("switched in a cluster: the router's switch and links beside the hosts; a fault goes to the link's owner, and its counters show what crossed", {
  timeout: 90_000,
  skip: natsMissing,
}, async (t) => {
  const nats = await NatsServer.start(t);
  const dir = tempDir(t);
  const one = await fabricHost(t, dir, 'one', nats.url, 2000, { switched: true });
  const two = await fabricHost(t, dir, 'two', nats.url, 2000, { switched: true });
  const url = await web(t, one);
  const here = await connectFabric({ path: one.fabric.socketPath, replyTimeoutMs: 500 });
  t.after(() => here.close());
  const there = await connectFabric({ path: two.fabric.socketPath });
  t.after(() => there.close());
  await waitFor(() => here.client.peers.has(there.id), "host one's peer to know host two's", 10_000);
  await waitFor(() => there.client.peers.has(here.id), "host two's peer to know host one's", 10_000);
  await here.send(there.id, 'across');

  const graph = await get<Graph>(`${url}/api/v1/topology`);
  const switches = graph.nodes
    .filter((node) => node.kind === 'switch' && node.peer === undefined)
    .map((node) => node.id)
    .sort();
  assert.deepEqual(switches, ['switch:switch', 'switch:two'], "the router's one switch and the other host");
  assert.deepEqual(linkOf(graph, 'host:two'), {
    source: 'switch:switch',
    target: 'switch:two',
    kind: 'switch-link',
    state: 'up',
  });
  assert.deepEqual(linkOf(graph, `peer:${here.id}`), {
    source: `peer-${here.id}`,
    target: 'switch:switch',
    kind: 'peer-link',
    state: 'up',
  });
  assert.deepEqual(linkOf(graph, `peer:${there.id}`), {
    source: `peer-${there.id}`,
    target: 'switch:two',
    kind: 'peer-link',
    state: 'up',
  });
  const counted = (g: Graph, name: string) => g.links.find((link) => link.name === name)?.counters;
  assert.equal(counted(graph, `peer:${here.id}`)?.messages, 1, "the router counted the message on the sender's link");
  assert.equal(counted(graph, `peer:${there.id}`)?.messages, 1, "and on the remote receiver's");
  assert.ok((counted(graph, 'host:two')?.messages ?? 0) >= 1, JSON.stringify(counted(graph, 'host:two')));

  // A host link's fault goes to the cluster, a peer link's to the router; both show in /faults.
  const post = (body: object) => call(`${url}/api/v1/faults`, 'POST', AUTH, JSON.stringify(body));
  assert.equal((await post({ action: 'down', link: 'host:two' })).status, 200);
  assert.equal(one.node.links.faults.get('host:two')?.down, true);
  assert.equal((await post({ action: 'isolate', peer: here.id })).status, 200);
  assert.deepEqual(
    one.fabric.router!.faults().map(([link, faults]) => [link, faults.down]),
    [[`peer:${here.id}`, true]],
  );
  const faults = (await (await call(`${url}/api/v1/faults`, 'GET', AUTH)).json()) as {
    faults: Array<{ link: string; down?: boolean }>;
  };
  assert.deepEqual(faults.faults.map((fault) => [fault.link, fault.down]).sort(), [
    ['host:two', true],
    [`peer:${here.id}`, true],
  ]);
  const unknown = await post({ action: 'down', link: 'nowhere' });
  assert.equal(unknown.status, 400);
  assert.match(((await unknown.json()) as { error: string }).error, /no link "nowhere": .*; to other hosts: host:two$/);

  // Isolated, the router drops the doorbell before it reaches the host link; clear takes away both faults.
  await assert.rejects(here.send(there.id, 'isolated'), /did not take the message within 500 ms/);
  const after = await get<Graph>(`${url}/api/v1/topology`);
  assert.equal(counted(after, `peer:${here.id}`)?.dropped, 1);
  assert.equal(linkOf(after, 'host:two')?.state, 'down');
  assert.equal((await post({ action: 'clear' })).status, 200);
  assert.equal(one.node.links.faults.get('host:two')?.down ?? false, false);
  assert.equal(
    one.fabric.router!.faults().some(([, linkFaults]) => linkFaults.down),
    false,
  );
  const taken = new Promise<string>((resolve) =>
    there.on('message', (message) => {
      if (message.body === 'after clear') resolve(message.body);
    }),
  );
  await here.send(there.id, 'after clear');
  assert.equal(await taken, 'after clear');
});
