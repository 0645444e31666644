// The cluster's parts on the in-memory bus with a clock moved by hand: no
// nats-server, no waiting on real time. The same ClusterNode runs over NATS
// in the other cluster tests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { subjectMatches } from '../../src/cluster/bus.js';
import { Claims } from '../../src/cluster/claims.js';
import { IdPool, noFreeIdReason } from '../../src/cluster/id-pool.js';
import { MemoryNetwork } from '../../src/cluster/memory-bus.js';
import { Batches } from '../../src/cluster/batches.js';
import { HostLinks } from '../../src/cluster/links.js';
import { SlotWatch } from '../../src/cluster/slot-watch.js';
import type { Directed } from '../../src/cluster/wire.js';
import { ManualClock, settle } from './manual-clock.js';
import { memoryCluster, pass, TIMEOUT_MS } from './memory-nodes.js';

const plan = (node: string) => ({ node, name: 'unit', timeoutMs: TIMEOUT_MS });

test('subjects match as NATS matches them: * one token, > the rest', () => {
  assert.equal(subjectMatches('famez.c.*.all', 'famez.c.a.all'), true);
  assert.equal(subjectMatches('famez.c.*.all', 'famez.c.a.to.b'), false);
  assert.equal(subjectMatches('famez.c.a.>', 'famez.c.a.to.b'), true);
  assert.equal(subjectMatches('famez.c.a.>', 'famez.c.a'), false);
  assert.equal(subjectMatches('famez.c.*.to.b', 'famez.c.x.to.b'), true);
  assert.equal(subjectMatches('famez.c.*.to.b', 'famez.c.x.to.c'), false);
});

test("claims: a name or id is one node's; kept alive by refresh, lost to another node once its TTL passes unrefreshed", async () => {
  const clock = new ManualClock();
  const network = new MemoryNetwork(clock, TIMEOUT_MS);
  const a = new Claims(network.connect().claims, { ...plan('a'), instance: 'a1' });
  const a2 = new Claims(network.connect().claims, { ...plan('a'), instance: 'a2' });
  const b = new Claims(network.connect().claims, { ...plan('b'), instance: 'b1' });
  await a.claimNode();
  await assert.rejects(a2.claimNode(), /node "a" is already in cluster "unit": .*give this one another --node/);
  assert.equal(await a.claimId(5), true);
  assert.equal(await b.claimId(5), false);
  assert.equal(await b.holder(5), 'a');
  assert.equal(await b.isMember('a', 'a1'), true);
  assert.equal(await b.isMember('a', 'a2'), false, 'another instance of a is not');
  assert.equal(await b.isMember('b', 'b1'), false);
  clock.advance(TIMEOUT_MS - 1);
  assert.deepEqual(await a.refresh(), [], 'refreshed in time: nothing lost');
  clock.advance(TIMEOUT_MS - 1);
  assert.equal(await b.holder(5), 'a', 'the refresh kept it');
  clock.advance(2);
  assert.equal(await b.holder(5), undefined, 'unrefreshed past its TTL: gone');
  assert.equal(await b.claimId(5), true);
  assert.deepEqual(await a.refresh(), [5], 'a learns it lost id 5');
  assert.deepEqual([...(await b.takenIds())], [5]);
});

test('ids: spares are claimed ahead, replaced when used, shrink as the range fills, are given up to a host short of one', async () => {
  const clock = new ManualClock();
  const network = new MemoryNetwork(clock, TIMEOUT_MS);
  const warnings: string[] = [];
  const pool = (node: string, range = { first: 1, last: 4 }) =>
    new IdPool({
      claims: new Claims(network.connect().claims, { ...plan(node), instance: node }),
      range,
      spare: 2,
      random: false,
      heldElsewhere: () => false,
      hosts: () => 1,
      warn: (_kind, line) => warnings.push(line),
    });
  const a = pool('a');
  await a.fill();
  assert.deepEqual(
    [1, 2, 3, 4].map((id) => a.owns(id)),
    [true, true, false, false],
  );
  a.use(1);
  await a.fill();
  assert.equal(a.owns(3), true, 'a spare replaces the id used');
  const b = pool('b');
  await b.fill();
  assert.equal(b.owns(4), true);
  assert.equal(b.short, false, 'one id left: the spares shrink to it, nobody is short');
  assert.deepEqual(warnings, []);

  assert.equal(
    noFreeIdReason({ url: 'nats://x', name: 'unit' }, { first: 1, last: 4 }, true, { peers: 3, spares: 1 }),
    'no cluster id free: ids 1 to 4 of cluster unit are held, 3 by peers and 1 as spares no host gave up in time: wait for peers to leave, or start with more ids',
  );
  assert.match(
    noFreeIdReason({ url: 'nats://x', name: 'unit' }, { first: 1, last: 4 }, false, { peers: 0, spares: 0 }),
    /out of reach/,
  );
  a.free(1);
  assert.equal(a.owns(1), false, 'past the target of two spares: released');
  // A third host claims the free id at once; a fourth finds none, until a host with spares gives one up.
  const c = pool('c');
  assert.equal(await c.claimNow(), true);
  const d = pool('d');
  await d.fill();
  assert.equal(await d.claimNow(), false);
  assert.equal(a.giveSpare(), true);
  await settle();
  assert.equal(await d.claimNow(), true);
  assert.equal(d.spare, 1);
});

test('batches: what is sent to one node in one turn leaves as one message', async () => {
  const sent: [string, Directed[]][] = [];
  const batches = new Batches((node, items) => sent.push([node, items]));
  batches.add('b', { t: 'ack', from: 1, seq: 1 });
  batches.add('b', { t: 'ring', to: 2, vector: 1, count: 1 });
  batches.add('c', { t: 'ack', from: 1, seq: 2 });
  assert.equal(sent.length, 0, 'nothing before the turn ends');
  await settle(1);
  assert.deepEqual(
    sent.map(([node, items]) => [node, items.length]),
    [
      ['b', 2],
      ['c', 1],
    ],
  );
  for (let seq = 0; seq < 150; seq++) batches.add('d', { t: 'ack', from: 1, seq });
  await settle(1);
  assert.deepEqual(
    sent.slice(2).map(([node, items]) => [node, items.length]),
    [
      ['d', 64],
      ['d', 64],
      ['d', 22],
    ],
    'at most 64 to a batch',
  );
  // Two doorbells of one turn are two callbacks, each followed by its microtasks: their traffic still leaves as one.
  batches.add('e', { t: 'ack', from: 1, seq: 1 });
  for (let i = 0; i < 3; i++) await Promise.resolve();
  batches.add('e', { t: 'ack', from: 3, seq: 1 });
  await settle(1);
  assert.deepEqual(
    sent.slice(5).map(([node, items]) => [node, items.length]),
    [['e', 2]],
  );
});

test('links: down drops and counts, latency delays on the clock, rate limits by the clock', () => {
  const clock = new ManualClock();
  const links = new HostLinks(clock);
  const ring: Directed = { t: 'ring', to: 2, vector: 1, count: 1 };
  const delivered: string[] = [];
  links.apply({ kind: 'link', link: 'host:b', up: false }, ['host:b']);
  links.pass({ faulted: ['host:b'] }, ring, () => delivered.push('down'));
  assert.equal(delivered.length, 0);
  assert.equal(links.counters('host:b').dropped, 1);
  assert.throws(
    () => links.apply({ kind: 'link', link: 'host:x', up: false }, ['host:b']),
    /no link host:x: the cluster's links are host:b/,
  );
  links.apply({ kind: 'clear', link: 'host:b' }, ['host:b']);
  links.apply({ kind: 'latency', link: 'host:b', us: 5000 }, ['host:b']);
  links.pass({ faulted: ['host:b'] }, ring, () => delivered.push('late'));
  clock.advance(4);
  assert.equal(delivered.length, 0);
  clock.advance(1);
  assert.deepEqual(delivered, ['late']);
  links.apply({ kind: 'clear' }, ['host:b']);
  links.apply({ kind: 'rate', link: 'host:b', rate: { perSecond: 1, burst: 1 } }, ['host:b']);
  links.pass({ faulted: ['host:b'] }, ring, () => delivered.push('r1'));
  links.pass({ faulted: ['host:b'] }, ring, () => delivered.push('r2'));
  clock.advance(1000);
  links.pass({ faulted: ['host:b'] }, ring, () => delivered.push('r3'));
  assert.deepEqual(delivered, ['late', 'r1', 'r3']);
});

test('slot watch: a slot handed back is reported once; a receiver that never takes it is given up on', () => {
  const clock = new ManualClock();
  const free = new Set<number>();
  const taken: [number, number][] = [];
  const watch = new SlotWatch(
    { isFree: (slot) => free.has(slot) },
    1000,
    (slot, seq) => taken.push([slot, seq]),
    clock,
  );
  const reported = (slot: number): boolean => taken.some(([s]) => s === slot);
  watch.start(3, 7);
  watch.start(4, 8);
  clock.advance(50);
  assert.deepEqual(taken, []);
  free.add(3);
  watch.poke();
  assert.deepEqual(taken, [[3, 7]]);
  clock.advance(2000);
  free.add(4);
  watch.poke();
  clock.advance(100);
  assert.deepEqual(taken, [[3, 7]], 'slot 4 was given up on after 1000 ms');
  // A receiver that takes without ringing anyone: the timer finds it, within SLOW_MS while it had slowed down,
  // then within a millisecond while it keeps finding them.
  watch.start(5, 9);
  free.add(5);
  clock.advance(16);
  assert.deepEqual(taken, [
    [3, 7],
    [5, 9],
  ]);
  for (let seq = 10; seq < 20; seq++) {
    watch.start(6, seq);
    free.delete(6);
    clock.advance(0.5);
    free.add(6);
    clock.advance(1);
    assert.deepEqual(taken.at(-1), [6, seq], `message ${seq} seen within 1 ms`);
  }
  // A newer message in a watched slot replaces the older one; a stopped slot is not reported.
  watch.start(7, 30);
  watch.start(7, 31);
  watch.start(8, 32);
  watch.stop(8);
  free.add(7).add(8);
  clock.advance(1);
  assert.deepEqual(taken.at(-1), [7, 31]);
  assert.equal(reported(8), false);
  watch.close();
});

test('membership: a node counts once it holds its name; its peers once they hold their ids; a silent node leaves with everything of it', async () => {
  const cluster = memoryCluster();
  const a = await cluster.node('a');
  const joined: string[] = [];
  const left: string[] = [];
  a.node.on('node-joined', (n) => joined.push(n));
  a.node.on('node-left', (n, reason) => left.push(`${n}: ${reason}`));
  let held: number[] = [];
  const b = await cluster.node('b', { peers: () => held.map((id) => ({ id, nodename: `p${id}` })) });
  await pass(cluster, 500);
  assert.deepEqual(joined, ['b']);
  assert.deepEqual(a.node.nodes, ['b']);
  const id = [3, 4].find((n) => b.node.pool.owns(n))!;
  b.node.pool.use(id);
  held = [id];
  b.node.announce();
  await settle();
  assert.equal(a.node.ownerOf(id), 'b');
  assert.deepEqual(a.node.linkNames(), ['host:b', `peer:${id}`]);
  // b goes silent (its heartbeats stop reaching the network).
  (await cluster.network.connect()).claims; // the network stays
  b.node.removeAllListeners();
  await b.node.close();
  await pass(cluster, TIMEOUT_MS + 500);
  assert.deepEqual(a.node.nodes, []);
  assert.equal(a.node.ownerOf(id), undefined);
  assert.equal(left.length, 1);
  assert.match(left[0]!, /^b: node b left$/);
});

test('membership: a claim check NATS fails (out of reach, or slow) is asked again a heartbeat later, and the peer appears', async () => {
  const cluster = memoryCluster();
  const a = await cluster.node('a');
  let held: number[] = [];
  const b = await cluster.node('b', { peers: () => held.map((id) => ({ id, nodename: `p${id}` })) });
  await pass(cluster, 500);
  assert.deepEqual(a.node.nodes, ['b']);
  const id = [3, 4].find((n) => b.node.pool.owns(n))!;
  let failures = 0;
  cluster.buses[0]!.failing = (key) => key === `id.${id}` && ++failures <= 2;
  b.node.pool.use(id);
  held = [id];
  b.node.announce();
  await settle();
  // The check failed; heartbeats carry only changes, so nothing else would ask again.
  assert.equal(failures, 1);
  assert.equal(a.node.ownerOf(id), undefined);
  await pass(cluster, 2 * a.node.plan.heartbeatMs);
  assert.equal(failures, 3);
  assert.equal(a.node.ownerOf(id), 'b');
  assert.deepEqual(a.node.linkNames(), ['host:b', `peer:${id}`]);
});

test("slot watch: while the receivers' rings find the hand-backs, its timer slows down to a tick every 16 ms", () => {
  const clock = new ManualClock();
  let timers = 0;
  const counting = {
    now: () => clock.now(),
    setTimeout: (run: () => void, ms: number) => {
      timers++;
      return clock.setTimeout(run, ms);
    },
    clearTimeout: (timer: Parameters<ManualClock['clearTimeout']>[0]) => clock.clearTimeout(timer),
  };
  const free = new Set<number>();
  const taken: number[] = [];
  const watch = new SlotWatch({ isFree: (slot) => free.has(slot) }, 60_000, (_slot, seq) => taken.push(seq), counting);
  // A ping -> pong flow for one second, a message every 0.5 ms: the receiver takes it and rings at once.
  for (let seq = 0; seq < 2000; seq++) {
    free.delete(3);
    watch.start(3, seq);
    clock.advance(0.25);
    free.add(3);
    watch.poke();
    clock.advance(0.25);
  }
  watch.close();
  assert.equal(taken.length, 2000, 'every hand-back reported once');
  assert.ok(timers <= 1000 / 16 + 5, `${timers} ticks in a second (one a message would be 2000)`);
});
