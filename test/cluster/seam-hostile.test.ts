// The cluster against hostile and unlucky timing, on the in-memory bus: a
// peer's first message waits for its claim's check, forged and invented
// senders are refused in few words and leave nothing behind, and a healed
// partition ends with the latest fault change on both sides.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Directed, WireMessage } from '../../src/cluster/wire.js';
import { encodeWire } from '../../src/cluster/wire.js';
import type { MemoryBus } from '../../src/cluster/memory-bus.js';
import { settle } from './manual-clock.js';
import { IDS, memoryCluster, pass, TIMEOUT_MS } from './memory-nodes.js';

const publish = (bus: MemoryBus, subject: string, message: WireMessage): void =>
  bus.publish(subject, encodeWire(message));

test("a peer's first message, sent the moment it joins, waits for the other host's check of its claim and is delivered", async () => {
  const cluster = memoryCluster();
  const a = await cluster.node('a', { peers: () => [{ id: 1 }] });
  a.node.pool.use(1);
  let held: number[] = [];
  const b = await cluster.node('b', { peers: () => held.map((id) => ({ id })) });
  await pass(cluster, 500);
  const directed: Directed[] = [];
  a.node.on('directed', (m) => directed.push(m));
  // A peer joins b and sends at once: b announces it, then sends; a has not checked it yet.
  const id = [3, 4].find((n) => b.node.pool.owns(n))!;
  b.node.pool.use(id);
  held = [id];
  b.node.announce();
  assert.equal(b.node.sendTo(1, { t: 'msg', from: id, to: 1, seq: 1, text: 'first' }, id), true);
  await settle();
  assert.deepEqual(
    directed.map((m) => m.t === 'msg' && m.text),
    ['first'],
    `delivered, not dropped: ${a.warnings.join(' | ')}`,
  );
  assert.deepEqual(a.warnings, []);
});

test('forged and invented senders: refused in a few lines, nothing kept, at most --cluster-max-hosts nodes', async () => {
  const cluster = memoryCluster();
  const a = await cluster.node('a', { maxNodes: 4 });
  const rogue = cluster.network.connect();
  // A message whose sender is not its subject's node.
  publish(rogue, 'famez.unit.rogue.all', { t: 'state', node: 'b', instance: 'x', peers: [] });
  // 5,000 invented names, none holding its name in the bucket.
  for (let i = 0; i < 5000; i++)
    publish(rogue, `famez.unit.n${i}.all`, { t: 'state', node: `n${i}`, instance: 'x', peers: [{ id: 2 }] });
  // Fault changes from nodes that are not members.
  for (let i = 0; i < 2000; i++)
    publish(rogue, `famez.unit.f${i}.all`, {
      t: 'fault',
      node: `f${i}`,
      at: Date.now(),
      changes: [{ kind: 'link', link: 'host:a', up: false }],
    });
  await pass(cluster, 1000);
  assert.deepEqual(a.node.nodes, []);
  assert.deepEqual(a.node.links.faults.entries(), [], 'no fault taken from a non-member');
  assert.ok(a.warnings.length <= 5, a.warnings.join('\n'));
  assert.ok(a.warnings.some((w) => /ignored traffic from node \w+, which is not in the cluster/.test(w)));
  assert.ok(a.warnings.some((w) => /node n\d+ holds no name in the cluster's KV: ignored/.test(w)));
  assert.ok(a.warnings.includes('cluster: ignored a message whose sender is not the node of its subject'));
  // Ten that do hold their names: four are let in.
  for (let i = 0; i < 10; i++) {
    await rogue.claims.create(`node.m${i}`, 'x');
    publish(rogue, `famez.unit.m${i}.all`, { t: 'state', node: `m${i}`, instance: 'x', peers: [] });
  }
  await pass(cluster, 500);
  assert.equal(a.node.nodes.length, 4);
  assert.ok(a.warnings.some((w) => w.includes('(no room for more: 4 hosts at most, --cluster-max-hosts)')));
  const delivered: Directed[] = [];
  a.node.on('directed', (message) => delivered.push(message));
  // A member's fault change on a link that does not exist, and its message naming a sender it does not hold.
  publish(rogue, 'famez.unit.m0.all', {
    t: 'fault',
    node: 'm0',
    at: Date.now(),
    changes: [{ kind: 'link', link: 'peer:9', up: false }],
  });
  publish(rogue, 'famez.unit.m0.to.a', { t: 'msg', node: 'm0', from: 9, to: 1, seq: 1, text: 'forged' });
  // Sent with the version of its list that is known here (0): the peer is not in it, refused at once.
  publish(rogue, 'famez.unit.m1.to.a', { t: 'msg', node: 'm1', version: 0, from: 8, to: 1, seq: 1, text: 'forged' });
  await pass(cluster, 500);
  assert.deepEqual(a.node.links.faults.entries(), []);
  assert.ok(
    a.warnings.some((w) => w.startsWith('cluster: a fault change from node m0 was ignored')),
    a.warnings.join('\n'),
  );
  // (A second refusal within 10 s is not said again: warnings are limited per kind.)
  assert.ok(a.warnings.some((w) => w.startsWith('cluster: a message from peer 8 on host m1 was not delivered')));
  // Silent, they leave, with everything of them. A message naming a peer its node does not hold, sent without its
  // list's version, waits (the node's word of it may be on the way) at most the time-out, and is refused then.
  await pass(cluster, 3000);
  assert.deepEqual(a.node.nodes, []);
  assert.deepEqual(delivered, [], 'nothing forged delivered');
});

test('a partition heals to the latest change on each link, on both sides', async () => {
  const cluster = memoryCluster();
  const { buses } = cluster;
  const a = await cluster.node('a');
  const b = await cluster.node('b');
  await pass(cluster, 500);
  assert.deepEqual([a.node.nodes, b.node.nodes], [['b'], ['a']]);
  const lines: boolean[] = [];
  b.node.on('connection', (up) => lines.push(up));
  buses[1]!.setUp(false);
  a.node.applyFault({ kind: 'link', link: 'host:b', up: false });
  await new Promise((resolve) => setTimeout(resolve, 5));
  b.node.applyFault({ kind: 'latency', link: 'host:a', us: 3000 });
  await settle();
  assert.equal(a.node.links.faults.get('host:b')?.down, true, 'a kept its own change');
  assert.equal(b.node.links.faults.get('host:a')?.down, undefined, "b did not hear a's");
  buses[1]!.setUp(true);
  await pass(cluster, 500);
  assert.deepEqual(lines, [false, true]);
  assert.deepEqual(a.node.links.faults.get('host:b'), { addedUs: 3000 }, "b's later change won on a");
  assert.deepEqual(b.node.links.faults.get('host:a'), { addedUs: 3000 }, 'and on b');
});

test('a heartbeat stays the same size however many peers its host holds; a change missed in a partition is asked for and recovered', async () => {
  const cluster = memoryCluster();
  const { buses } = cluster;
  const a = await cluster.node('a');
  let held: { id: number; nodename?: string }[] = [];
  const b = await cluster.node('b', { peers: () => held });
  await pass(cluster, 500);
  const heard: number[] = [];
  buses[0]!.subscribe('famez.unit.b.all', (_subject, data) => {
    if (new TextDecoder().decode(data).startsWith('{"t":"beat"')) heard.push(data.length);
  });
  await pass(cluster, 1000);
  held = Array.from({ length: 200 }, (_, i) => ({ id: 100 + i, nodename: `a-long-peer-name-${i}` }));
  await pass(cluster, 1000);
  assert.ok(heard.length >= 4, `${heard.length} beats`);
  assert.ok(Math.max(...heard) - Math.min(...heard) <= 4, `beats of ${heard.join(', ')} bytes`);

  // a misses b's change (lost on the way), then hears a beat that says it is behind: it asks, and catches up.
  const id = [3, 4].find((n) => b.node.pool.owns(n))!;
  b.node.pool.use(id);
  held = [{ id, nodename: 'late' }];
  buses[0]!.losing = (subject) => subject === 'famez.unit.b.all';
  b.node.announce();
  await settle();
  buses[0]!.losing = undefined;
  assert.equal(a.node.ownerOf(id), undefined, 'a missed it');
  await pass(cluster, 1500);
  assert.equal(a.node.ownerOf(id), 'b', 'a caught up');
  assert.equal(a.node.members.peers().size, 1, 'and dropped the 200 b no longer holds');
});

test('two hosts that forgot each other in a long outage (no status change) find each other again by their heartbeats', async () => {
  const cluster = memoryCluster();
  const a = await cluster.node('a');
  const b = await cluster.node('b');
  await pass(cluster, 500);
  assert.deepEqual([a.node.nodes, b.node.nodes], [['b'], ['a']]);
  for (const bus of cluster.buses) bus.losing = (subject) => subject.startsWith('famez.');
  await pass(cluster, TIMEOUT_MS + 1000);
  assert.deepEqual([a.node.nodes, b.node.nodes], [[], []], 'each forgot the other');
  for (const bus of cluster.buses) bus.losing = undefined;
  await pass(cluster, 2000);
  assert.deepEqual([a.node.nodes, b.node.nodes], [['b'], ['a']], 'and found it again');
});

test('claims that expired while NATS was out of reach are taken back as it returns, before the next heartbeat', async () => {
  const cluster = memoryCluster();
  const a = await cluster.node('a');
  await pass(cluster, 500);
  const { first, last } = IDS.range;
  const ids = Array.from({ length: last - first + 1 }, (_, i) => first + i).filter((id) => a.node.pool.owns(id));
  assert.ok(ids.length > 0, 'a holds spares');
  cluster.buses[0]!.setUp(false);
  await pass(cluster, TIMEOUT_MS + 500);
  assert.deepEqual(
    ids.filter((id) => cluster.network.entry(`id.${id}`)),
    [],
    "the bucket's TTL dropped them in the outage",
  );
  cluster.buses[0]!.setUp(true);
  await settle();
  assert.deepEqual(
    ids.filter((id) => cluster.network.entry(`id.${id}`)?.value === 'a'),
    ids,
    'held by a again, the clock not moved',
  );
  assert.ok(ids.every((id) => a.node.pool.owns(id)));
});

test('a node whose name another instance took in its outage: the hosts keep the holder, and both instances say so', async () => {
  const cluster = memoryCluster();
  const a = await cluster.node('a');
  const old = await cluster.node('b');
  await pass(cluster, 500);
  assert.deepEqual(a.node.nodes, ['b']);
  // b is cut off past the time-out: its name's claim expires, and a new famez takes the name.
  cluster.buses[1]!.setUp(false);
  await pass(cluster, TIMEOUT_MS + 500);
  const replacement = await cluster.node('b');
  await pass(cluster, 500);
  assert.equal(a.node.members.instanceOf('b'), replacement.node.instance);
  const changes: string[] = [];
  a.node.on('node-joined', (node) => changes.push(`joined ${node}`));
  a.node.on('node-left', (node, reason) => changes.push(`left ${node}: ${reason}`));
  // The old one comes back, still calling itself b.
  cluster.buses[1]!.setUp(true);
  await pass(cluster, 5000);
  assert.deepEqual(changes, [], 'no host flaps between the two');
  assert.equal(a.node.members.instanceOf('b'), replacement.node.instance, 'the holder of the name stays');
  assert.ok(
    old.warnings.some((w) =>
      /another famez took the name b .* this one is not in the cluster now: stop it, or restart it with another --node/.test(
        w,
      ),
    ),
    old.warnings.join('\n'),
  );
  assert.ok(
    replacement.warnings.some((w) => /another instance calls itself node b/.test(w)),
    replacement.warnings.join('\n'),
  );
  assert.ok(
    a.warnings.some((w) => /a second famez calls itself node b and does not hold that name/.test(w)),
    a.warnings.join('\n'),
  );
  // The new one stops and frees the name: the old one takes it back and is in the cluster again.
  await replacement.node.close();
  await pass(cluster, 3000);
  assert.equal(a.node.members.instanceOf('b'), old.node.instance);
  assert.deepEqual(changes, ['left b: node b left', 'joined b']);
});
