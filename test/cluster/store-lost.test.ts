// nats-server restarted without its JetStream store (no -sd volume, a wiped
// disk): the cluster's KV bucket is gone. The hosts make it again and claim
// their names and ids anew, say so, and a peer that joins afterwards reaches
// the other host.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { connect as natsConnect } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import { connectFabric, type ChatMessage } from '../../src/fabric/index.js';
import { waitFor } from '../server/helpers.js';
import { fabricPeer, twoHosts } from './hosts.js';
import { natsMissing } from './nats-server.js';

test("nats-server back without its store: the bucket is made again, every claim taken anew, and it is said; a newcomer's message crosses", {
  timeout: 120_000,
  skip: natsMissing,
}, async (t) => {
  const {
    nats,
    hosts: [one, two],
  } = await twoHosts(t, ['one', 'two'], 1500);
  const warnings: string[] = [];
  for (const host of [one, two]) host.node.on('warning', (line) => warnings.push(line));
  const inbox: ChatMessage[] = [];
  const remote = await fabricPeer(t, two, inbox);
  await waitFor(() => one.fabric.server.peers.has(remote.id), 'host one to know the remote peer', 10_000);

  await nats.stop();
  rmSync(nats.storeDir, { recursive: true, force: true });
  await nats.restart();
  await waitFor(
    () => warnings.filter((w) => /the KV bucket famez-fab was gone from NATS/.test(w)).length >= 1,
    () => `a host to say the bucket was made again: ${warnings.join(' | ')}`,
    30_000,
  );
  assert.match(
    warnings.find((w) => /the KV bucket/.test(w))!,
    /^cluster: the KV bucket famez-fab was gone from NATS \(nats-server restarted without its store\?\): made again; this host claims its name and ids anew$/,
  );
  // Every host's name is held again, by its own instance.
  const nc = await natsConnect({ servers: nats.url });
  t.after(() => nc.close());
  const kv = await new Kvm(nc).open('famez-fab');
  const holders = async (): Promise<string[]> =>
    Promise.all(['one', 'two'].map(async (node) => (await kv.get(`node.${node}`))?.string() ?? 'none'));
  let held: string[] = [];
  await waitFor(
    async () => {
      held = await holders();
      return held[0] === one.node.instance && held[1] === two.node.instance;
    },
    () => `both names back in the bucket, each held by its own instance: ${held.join(', ')}`,
    10_000,
    100,
  );

  const newcomer = await connectFabric({ path: one.fabric.socketPath, replyTimeoutMs: 3000 });
  t.after(() => newcomer.close());
  await waitFor(() => newcomer.client.peers.has(remote.id), 'the newcomer to see the remote peer', 10_000);
  await newcomer.send(remote.id, 'after the store was lost');
  await waitFor(
    () => inbox.some((m) => m.from === newcomer.id && m.body === 'after the store was lost'),
    () => `the message across hosts; warnings: ${warnings.join(' | ')}`,
    10_000,
  );
});
