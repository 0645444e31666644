// Faults across hosts: a link between two hosts is one link (set on either
// end, both ends show it and traffic stops both ways), a peer's own link can
// be cut from any host (isolate), each crossing is faulted once, and a host
// that joins later is told the faults that concern it.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { ChatMessage, FabricPeer } from '../../src/fabric/index.js';
import { tempDir, waitFor } from '../server/helpers.js';
import { fabricHost, fabricPeer } from './hosts.js';
import { NatsServer, natsMissing } from './nats-server.js';

/** Resolves with the next message `peer` gets with this body. */
function received(peer: FabricPeer, body: string): Promise<void> {
  return new Promise((resolve) =>
    peer.on('message', (message) => {
      if (message.body === body) resolve();
    }),
  );
}

async function passes(from: FabricPeer, to: FabricPeer, body: string): Promise<void> {
  const arrived = received(to, body);
  await from.send(to.id, body);
  await arrived;
}

/** Two fabrics joined through a fresh nats-server, a peer on each that knows the other; b's messages go to `inbox`. */
async function twoHosts(t: TestContext, inbox: ChatMessage[] = []) {
  const nats = await NatsServer.start(t);
  const dir = tempDir(t);
  const one = await fabricHost(t, dir, 'one', nats.url);
  const two = await fabricHost(t, dir, 'two', nats.url);
  const a = await fabricPeer(t, one, []);
  const b = await fabricPeer(t, two, inbox);
  await waitFor(
    () => a.client.peers.has(b.id) && b.client.peers.has(a.id),
    "each host to know the other's peer",
    10_000,
  );
  return { nats, dir, one, two, a, b };
}

test('a host link is one link: down on one end shows on both and stops both ways; up restores both', {
  timeout: 90_000,
  skip: natsMissing,
}, async (t) => {
  const inbox: ChatMessage[] = [];
  const { one, two, a, b } = await twoHosts(t, inbox);
  await passes(a, b, 'a to b');
  await passes(b, a, 'b to a');
  // A configured port (after FAME-Z's link exchange) is told of fault changes.
  await b.send(two.fabric.layout.serverId, 'Link RFC TTC=27us');
  await waitFor(() => two.fabric.ports.get(b.id)?.linkState === 'configured', "peer b's port to be configured", 10_000);

  two.node.applyFault({ kind: 'link', link: 'host:one', up: false });
  await waitFor(
    () => one.node.links.faults.get('host:two')?.down === true,
    'host one to show its link to two down',
    10_000,
  );
  // Told as a switched fabric's peers are, from the switch.
  await waitFor(
    () => inbox.some((message) => message.body === 'UEP Link-Down Link=host:one'),
    () => `the notice: ${inbox.map((m) => m.text).join(' | ')}`,
    10_000,
  );
  await assert.rejects(a.send(b.id, 'lost'), /did not take the message/);
  await assert.rejects(b.send(a.id, 'lost'), /did not take the message/);
  assert.ok(one.node.links.counters('host:two').dropped >= 1, JSON.stringify(one.node.links.counters('host:two')));
  assert.ok(two.node.links.counters('host:one').dropped >= 1, JSON.stringify(two.node.links.counters('host:one')));

  one.node.applyFault({ kind: 'link', link: 'host:two', up: true });
  await waitFor(() => two.node.links.faults.get('host:one') === undefined, 'host two to show the link up', 10_000);
  await passes(a, b, 'a to b again');
  await passes(b, a, 'b to a again');
});

test('isolate a peer of another host: its traffic across hosts stops both ways, a host joining later is told, rejoin restores', {
  timeout: 90_000,
  skip: natsMissing,
}, async (t) => {
  const { nats, dir, one, two, a, b } = await twoHosts(t);

  assert.throws(
    () => one.node.applyFault({ kind: 'link', link: 'peer:4000', up: false }),
    /no link peer:4000: the cluster's links are host:two, peer:\d+, peer:\d+/,
  );
  one.node.applyFault({ kind: 'link', link: `peer:${b.id}`, up: false });
  await waitFor(
    () => two.node.links.faults.get(`peer:${b.id}`)?.down === true,
    "peer b's host to hear of the isolation",
    10_000,
  );
  await assert.rejects(a.send(b.id, 'to the isolated peer'), /did not take the message/);
  await assert.rejects(b.send(a.id, 'from the isolated peer'), /did not take the message/);
  assert.ok(
    two.node.links.counters(`peer:${b.id}`).dropped >= 2,
    JSON.stringify(two.node.links.counters(`peer:${b.id}`)),
  );

  const three = await fabricHost(t, dir, 'three', nats.url);
  await waitFor(
    () => three.node.links.faults.get(`peer:${b.id}`)?.down === true,
    'the host that joined later to be told of the isolation',
    10_000,
  );

  one.node.applyFault({ kind: 'link', link: `peer:${b.id}`, up: true });
  await waitFor(
    () => two.node.links.faults.get(`peer:${b.id}`) === undefined,
    "peer b's host to hear of the rejoin",
    10_000,
  );
  await passes(a, b, 'after rejoin');
  await passes(b, a, 'back after rejoin');
});

test('latency on a host link delays each crossing once: on the sending end, not again on the receiving one', {
  timeout: 90_000,
  skip: natsMissing,
}, async (t) => {
  const { one, two, a, b } = await twoHosts(t);
  one.node.applyFault({ kind: 'latency', link: 'host:two', us: 20_000 });
  await waitFor(
    () => two.node.links.faults.get('host:one')?.addedUs === 20_000,
    'host two to show the latency',
    10_000,
  );
  await passes(a, b, 'slow');
  // One crossing each way: the message (delayed on host one) and its hand-back (delayed on host two).
  await waitFor(
    () => two.node.links.counters('host:one').delayed === 1,
    () => `two's counters ${JSON.stringify(two.node.links.counters('host:one'))}`,
    10_000,
  );
  assert.equal(one.node.links.counters('host:two').delayed, 1, JSON.stringify(one.node.links.counters('host:two')));
});
