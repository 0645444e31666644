// `famez fabric --switched --cluster`: three switched fabrics joined only
// through a real nats-server. A message between hosts passes the sender's
// router and the receiver's on both peers' own links (counted there, with
// their faults); `isolate` of a peer on its host cuts its traffic to and
// from other hosts, `rejoin` restores it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChatMessage, FabricPeer } from '../../src/fabric/index.js';
import { isolate } from '../../src/switching/faults.js';
import { tempDir, waitFor } from '../server/helpers.js';
import { fabricHost, fabricPeer } from './hosts.js';
import { NatsServer, natsMissing } from './nats-server.js';

test("three switched fabrics over NATS: messages cross both routers and count on both peer links; isolate cuts a peer's cross-host traffic both ways, rejoin restores it", {
  timeout: 90_000,
  skip: natsMissing,
}, async (t) => {
  const nats = await NatsServer.start(t);
  const dir = tempDir(t);
  const hosts = [];
  for (const name of ['s1', 's2', 's3'])
    hosts.push(await fabricHost(t, dir, name, nats.url, 2000, { switched: true, replyTimeoutMs: 500 }));
  const [h1, h2, h3] = hosts as [(typeof hosts)[0], (typeof hosts)[0], (typeof hosts)[0]];
  const inboxes: ChatMessage[][] = [[], [], []];
  const peers: FabricPeer[] = [];
  for (let i = 0; i < 3; i++) peers.push(await fabricPeer(t, hosts[i]!, inboxes[i]!));
  const [p1, p2, p3] = peers as [FabricPeer, FabricPeer, FabricPeer];
  const ids = peers.map((peer) => peer.id);
  await waitFor(
    () => peers.every((peer) => ids.every((id) => peer.client.peers.has(id))),
    'every peer to know every other',
    10_000,
  );

  const count = 10;
  for (let n = 0; n < count; n++) await p1.send(p2.id, `n=${n}`);
  const bodies = (inbox: ChatMessage[], from: number): string[] =>
    inbox.filter((m) => m.from === from).map((m) => m.body);
  await waitFor(() => bodies(inboxes[1]!, p1.id).length === count, 'every numbered message on host s2', 10_000);
  assert.deepEqual(
    bodies(inboxes[1]!, p1.id),
    [...Array(count).keys()].map((n) => `n=${n}`),
  );
  // Each message's doorbell passed s1's router (its own) and s2's (the remote sender's ring to the local receiver).
  for (const host of [h1, h2]) {
    const counters = host.fabric.router!.counters();
    for (const id of [p1.id, p2.id]) {
      assert.deepEqual(
        { forwarded: counters.get(`peer:${id}`)?.forwarded, messages: counters.get(`peer:${id}`)?.messages },
        { forwarded: count, messages: count },
        `peer:${id} on ${host.node.plan.node}: ${JSON.stringify(counters.get(`peer:${id}`))}`,
      );
    }
  }
  assert.equal(h3.fabric.router!.counters().get(`peer:${p1.id}`)?.forwarded ?? 0, 0, 'nothing crossed s3');

  // p1 isolated on its own host: nothing of it leaves s1, nothing for it enters.
  h1.fabric.applyFault(isolate(p1.id));
  await assert.rejects(p1.send(p2.id, 'out while isolated'), /did not take the message within/);
  await assert.rejects(p3.send(p1.id, 'in while isolated'), /did not take the message within/);
  const dropped = h1.fabric.router!.counters().get(`peer:${p1.id}`)!.dropped;
  assert.equal(dropped, 2, "both doorbells dropped on p1's link on s1");
  assert.equal(
    h3.fabric.router!.counters().get(`peer:${p3.id}`)!.forwarded,
    1,
    "p3's doorbell passed s3's router and crossed",
  );

  h1.fabric.applyFault(isolate(p1.id, false));
  await p1.send(p2.id, 'out after rejoin');
  await p3.send(p1.id, 'in after rejoin');
  await waitFor(
    () =>
      bodies(inboxes[1]!, p1.id).includes('out after rejoin') && bodies(inboxes[0]!, p3.id).includes('in after rejoin'),
    'both messages after rejoin',
    10_000,
  );
  assert.deepEqual(bodies(inboxes[0]!, p3.id), ['in after rejoin']);
  assert.deepEqual(bodies(inboxes[1]!, p1.id).slice(count), ['out after rejoin']);
  assert.ok(
    hosts.every((host) => ids.every((id) => host.fabric.mailbox.isFree(id))),
    'every slot free on every host',
  );
});

test("switched fabrics: isolating a peer of another host goes to that host's router, so the peer is cut off from every host; rejoin restores it", {
  timeout: 90_000,
  skip: natsMissing,
}, async (t) => {
  const nats = await NatsServer.start(t);
  const dir = tempDir(t);
  const hosts = [];
  for (const name of ['s1', 's2', 's3'])
    hosts.push(await fabricHost(t, dir, name, nats.url, 2000, { switched: true, replyTimeoutMs: 500 }));
  const [h1, h2] = hosts as [(typeof hosts)[0], (typeof hosts)[0]];
  const inboxes: ChatMessage[][] = [[], [], []];
  const peers: FabricPeer[] = [];
  for (let i = 0; i < 3; i++) peers.push(await fabricPeer(t, hosts[i]!, inboxes[i]!));
  const [, p2, p3] = peers as [FabricPeer, FabricPeer, FabricPeer];
  const ids = peers.map((peer) => peer.id);
  await waitFor(
    () => peers.every((peer) => ids.every((id) => peer.client.peers.has(id))),
    'every peer to know every other',
    10_000,
  );

  // Set on s1, for p2 of s2: s2's router takes p2's link down, and p3 on s3 loses it too.
  h1.node.applyFault(isolate(p2.id));
  await waitFor(
    () => h2.fabric.router!.faults().some(([link, faults]) => link === `peer:${p2.id}` && faults.down === true),
    "s2's router to take p2's link down",
    10_000,
  );
  await assert.rejects(p3.send(p2.id, 'to the isolated peer'), /did not take the message within/);
  await assert.rejects(p2.send(p3.id, 'from the isolated peer'), /did not take the message within/);

  h1.node.applyFault(isolate(p2.id, false));
  await waitFor(() => h2.fabric.router!.faults().length === 0, "s2's router to bring p2's link up", 10_000);
  await p3.send(p2.id, 'after rejoin');
  await waitFor(
    () => inboxes[1]!.some((m) => m.from === p3.id && m.body === 'after rejoin'),
    'the message after rejoin',
    10_000,
  );
});
