// nats-server killed and restarted under a running cluster: local traffic
// goes on meanwhile, the fabric heals without a restart, and no numbered
// message is lost or delivered twice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectFabric, type ChatMessage, type FabricPeer } from '../../src/fabric/index.js';
import { waitFor } from '../server/helpers.js';
import { fabricPeer, twoHosts } from './hosts.js';
import { natsMissing } from './nats-server.js';

test("nats-server killed and restarted: local messages go on, remote ones fail in the sender's time-out, then the fabric heals; nothing lost or doubled", {
  timeout: 120_000,
  skip: natsMissing,
}, async (t) => {
  const {
    nats,
    hosts: [one, two],
  } = await twoHosts(t, ['one', 'two'], 1500);
  const inboxes: Record<string, ChatMessage[]> = { local: [], remote: [], sender: [] };
  const sender: FabricPeer = await connectFabric({ path: one.fabric.socketPath, replyTimeoutMs: 1500 });
  t.after(() => sender.close());
  const local = await fabricPeer(t, one, inboxes.local!);
  const remote = await fabricPeer(t, two, inboxes.remote!);
  await waitFor(
    () => sender.client.peers.has(remote.id) && remote.client.peers.has(sender.id),
    "both hosts to know each other's peers",
    10_000,
  );

  const delivered: number[] = [];
  let n = 0;
  const sendNumbered = async (to: number): Promise<boolean> => {
    const number = n++;
    try {
      await sender.send(to, `n=${number}`);
      if (to === remote.id) delivered.push(number);
      return true;
    } catch {
      return false;
    }
  };
  for (let i = 0; i < 5; i++) assert.ok(await sendNumbered(remote.id));

  await nats.stop();
  // Local traffic does not wait on NATS: every local message is taken, and a new local peer gets an id at once.
  for (let i = 0; i < 10; i++) assert.ok(await sendNumbered(local.id), 'a local message during the outage');
  const newcomer = await connectFabric({ path: one.fabric.socketPath });
  t.after(() => newcomer.close());
  assert.ok(newcomer.id >= 1 && newcomer.id !== remote.id, `the newcomer's id ${newcomer.id} is not the remote peer's`);
  // A message to the other host fails in the sender's own time-out (and is not delivered later).
  assert.equal(await sendNumbered(remote.id), false);
  // The other host's peers leave after the cluster time-out.
  await waitFor(
    () => !one.fabric.server.peers.has(remote.id),
    'the remote peer to leave host one during the outage',
    10_000,
  );

  await nats.restart();
  await waitFor(
    () => one.fabric.server.peers.has(remote.id) && two.fabric.server.peers.has(sender.id),
    'the cluster to heal',
    30_000,
  );
  await waitFor(() => remote.client.peers.has(sender.id), 'the remote peer to know the sender again', 10_000);
  for (let i = 0; i < 5; i++) assert.ok(await sendNumbered(remote.id), 'a remote message after the heal');

  await waitFor(() => inboxes.remote!.length >= delivered.length, 'every delivered message', 10_000);
  await new Promise((resolve) => setTimeout(resolve, 500)); // anything late would show now
  const got = inboxes.remote!.filter((m) => m.from === sender.id).map((m) => Number(m.body.slice(2)));
  assert.deepEqual(
    got,
    delivered,
    'the remote peer got exactly the messages its sender saw taken, once each, in order',
  );
  const gotLocal = inboxes.local!.filter((m) => m.from === sender.id).length;
  assert.equal(gotLocal, 10);
});
