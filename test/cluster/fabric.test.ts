// `famez fabric --cluster`: three fabrics with their own sockets and
// mailboxes, joined only through a real nats-server. FAME-Z peers on different
// instances message each other with the slot semantics of one host.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectFabric, type ChatMessage, type FabricPeer } from '../../src/fabric/index.js';
import { tempDir, waitFor } from '../server/helpers.js';
import { fabricHost, fabricPeer } from './hosts.js';
import { NatsServer, natsMissing } from './nats-server.js';

test('three fabrics over NATS: peers on different hosts see each other by name and message each other, numbered, none lost or doubled', {
  timeout: 90_000,
  skip: natsMissing,
}, async (t) => {
  const nats = await NatsServer.start(t);
  const dir = tempDir(t);
  const hosts = [
    await fabricHost(t, dir, 'h1', nats.url),
    await fabricHost(t, dir, 'h2', nats.url),
    await fabricHost(t, dir, 'h3', nats.url),
  ];
  const inboxes: ChatMessage[][] = [[], [], []];
  const peers: FabricPeer[] = [];
  for (let i = 0; i < 3; i++) peers.push(await fabricPeer(t, hosts[i]!, inboxes[i]!));
  const ids = peers.map((peer) => peer.id);
  assert.equal(new Set(ids).size, 3, `ids unique across the cluster: ${ids.join(', ')}`);
  await waitFor(
    () => peers.every((peer) => ids.every((id) => peer.client.peers.has(id))),
    'every peer to know every other',
    10_000,
  );
  // Each host's mailbox shows the remote peers' names with their host (FAME-Z's client names itself z<id>).
  await waitFor(
    () =>
      peers[0]!
        .peers()
        .some((entry) => entry.id === ids[1] && entry.nodename === `z${String(ids[1]).padStart(2, '0')}@h2`),
    () => `peer 1 to see peer 2's nodename: ${JSON.stringify(peers[0]!.peers())}`,
    10_000,
  );

  // ping across hosts: the remote peer answers pong through the same path back.
  await peers[0]!.send(ids[1]!, 'ping');
  await waitFor(
    () => inboxes[0]!.some((m) => m.from === ids[1] && m.body === 'pong'),
    'pong from the other host',
    10_000,
  );

  // Numbered messages from peer 1 to peers 2 and 3 in turn: each arrives once, in order.
  const count = 30;
  for (let n = 0; n < count; n++) await peers[0]!.send(ids[1 + (n % 2)]!, `n=${n}`);
  const numbers = (inbox: ChatMessage[]): number[] =>
    inbox.filter((m) => m.from === ids[0] && m.body.startsWith('n=')).map((m) => Number(m.body.slice(2)));
  await waitFor(
    () => numbers(inboxes[1]!).length + numbers(inboxes[2]!).length === count,
    'every numbered message',
    10_000,
  );
  assert.deepEqual(
    numbers(inboxes[1]!),
    [...Array(count / 2).keys()].map((k) => 2 * k),
  );
  assert.deepEqual(
    numbers(inboxes[2]!),
    [...Array(count / 2).keys()].map((k) => 2 * k + 1),
  );
  // Both ways at once: 3 sends to 1 while 1 sends to 3.
  await Promise.all([peers[2]!.send(ids[0]!, 'from three'), peers[0]!.send(ids[2]!, 'from one')]);
  await waitFor(
    () => inboxes[0]!.some((m) => m.body === 'from three') && inboxes[2]!.some((m) => m.body === 'from one'),
    'both crossing messages',
    10_000,
  );
  // The slot is handed back on the sender's host: nothing is left in flight.
  assert.ok(
    hosts.every((host) => ids.every((id) => host.fabric.mailbox.isFree(id))),
    'every slot free on every host',
  );
});

test("a message the remote receiver does not take fails in the sender's time-out; a host that leaves takes its peers with it", {
  timeout: 90_000,
  skip: natsMissing,
}, async (t) => {
  const nats = await NatsServer.start(t);
  const dir = tempDir(t);
  const one = await fabricHost(t, dir, 'one', nats.url);
  const two = await fabricHost(t, dir, 'two', nats.url);
  const sender = await connectFabric({ path: one.fabric.socketPath, replyTimeoutMs: 500 });
  t.after(() => sender.close());
  const receiver = await connectFabric({ path: two.fabric.socketPath });
  await waitFor(() => sender.client.peers.has(receiver.id), 'the sender to know the receiver', 10_000);
  // The receiver's host stops reading its mailbox (its peer does not take the message): the sender times out.
  receiver.client.removeAllListeners('doorbell');
  await assert.rejects(sender.send(receiver.id, 'never taken'), /did not take the message within 500 ms/);
  receiver.close();
  const gone = new Promise<number>((resolve) => sender.client.on('peer-gone', resolve));
  await two.close();
  // Recycling (FAME-Z's default) keeps the id: the sender hears nothing, but the id is free on host one again.
  await Promise.race([
    gone,
    waitFor(() => !one.fabric.server.peers.has(receiver.id), 'the receiver to leave host one', 10_000),
  ]);
  assert.equal(one.fabric.server.peers.has(receiver.id), false);
});
