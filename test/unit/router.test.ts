// The Router as a forwarding policy, with plain doorbells and a fake clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Router, type TraceEntry } from '../../src/switching/router.js';
import { topologyFromJson } from '../../src/switching/fabric-file.js';
import { FaultError } from '../../src/switching/faults.js';
import { DelayQueue } from '../../src/server/delay-queue.js';
import { fdShortage, parseFdLimit, peersThatFit, switchedJoinCost } from '../../src/server/fd-budget.js';

// Peer 1 on s1, peer 2 on s2 (5 us own link); trunk 100 us, backup via s3 (300 + 300).
const TOPOLOGY = topologyFromJson({
  switches: ['s1', 's2', 's3'],
  links: [
    { name: 'trunk', between: ['s1', 's2'], latencyUs: 100 },
    { name: 'up', between: ['s1', 's3'], latencyUs: 300 },
    { name: 'down', between: ['s3', 's2'], latencyUs: 300 },
  ],
  peers: [
    { id: 1, switch: 's1', port: 1 },
    { nodename: 'z02', switch: 's2', port: 1, latencyUs: 5 },
  ],
});

const ring = (from: number, to: number, count = 1) => ({ from, to, vector: 0, count });

test("router: the shortest path's latencies summed; a link down reroutes; no path drops and counts", () => {
  const router = new Router({ topology: TOPOLOGY, nodename: (id) => (id === 2 ? 'z02' : undefined) });
  assert.deepEqual(router.forward(ring(1, 2)), { kind: 'delay', us: 105, count: 1 });
  assert.deepEqual(
    router.forward(ring(1, 3)),
    { kind: 'deliver', count: 1 },
    'peer 3 is on s1 like peer 1 (the first switch)',
  );
  router.apply({ kind: 'link', link: 'trunk', up: false });
  assert.deepEqual(router.forward(ring(2, 1, 4)), { kind: 'delay', us: 605, count: 4 }, 'rerouted through s3');
  router.apply({ kind: 'link', link: 'down', up: false });
  assert.deepEqual(router.forward(ring(1, 2, 3)), { kind: 'drop' }, 'partitioned');
  const counters = router.counters();
  assert.deepEqual(counters.get('peer:1'), { forwarded: 1 + 1 + 4, dropped: 3, delayed: 5, messages: 0, bytes: 0 });
  assert.deepEqual(counters.get('trunk'), { forwarded: 1, dropped: 0, delayed: 1, messages: 0, bytes: 0 });
  assert.equal(counters.get('up')!.forwarded, 4);
  router.apply({ kind: 'clear' });
  assert.deepEqual(router.forward(ring(1, 2)), { kind: 'delay', us: 105, count: 1 }, 'back on the trunk');
  assert.equal(router.faultChanges, 3);
  assert.throws(() => router.apply({ kind: 'link', link: 'nowhere', up: false }), FaultError);
});

test('router: added latency, rate limit (token bucket on a fake clock), isolation, and the trace', async () => {
  let now = 0;
  const router = new Router({
    topology: TOPOLOGY,
    now: () => now,
    inspect: ({ from }) => (from === 1 ? { text: 'ping', bytes: 4 } : undefined),
  });
  const traced: TraceEntry[] = [];
  router.on('trace', (entry) => traced.push(entry));
  const subscription = router.subscribe(2);
  router.apply({ kind: 'latency', link: 'peer:3', us: 40 });
  assert.deepEqual(router.forward(ring(1, 3)), { kind: 'delay', us: 40, count: 1 });
  router.apply({ kind: 'rate', link: 'peer:4', rate: { perSecond: 1000, burst: 2 } });
  assert.deepEqual(router.forward(ring(4, 3, 5)), { kind: 'delay', us: 40, count: 2 }, 'the burst passes');
  assert.deepEqual(router.forward(ring(4, 3)), { kind: 'drop' }, 'the bucket is empty');
  now += 1;
  assert.deepEqual(router.forward(ring(4, 3)), { kind: 'delay', us: 40, count: 1 }, 'one more after 1 ms');
  router.apply({ kind: 'link', link: 'peer:3', up: false });
  assert.deepEqual(router.forward(ring(1, 3)), { kind: 'drop' });
  assert.equal(router.counters().get('peer:4')!.dropped, 4);
  assert.deepEqual(router.counters().get('peer:1'), { forwarded: 1, dropped: 0, delayed: 1, messages: 1, bytes: 4 });
  assert.deepEqual(
    traced.map((e) => [e.from, e.to, e.passed, e.outcome, e.text ?? '-']),
    [
      [1, 3, 1, 'delayed', 'ping'],
      [4, 3, 2, 'delayed', '-'],
      [4, 3, 0, 'dropped', '-'],
      [4, 3, 1, 'delayed', '-'],
      [1, 3, 0, 'dropped', '-'],
    ],
  );
  assert.equal(traced[4]!.reason, 'link peer:3 is down');
  assert.deepEqual(traced[4]!.links, ['peer:1', 'peer:3']);
  // The subscription kept the last two and counted the three it lost.
  assert.equal(subscription.lost, 3);
  assert.deepEqual(
    [(await subscription.next()).value.passed, (await subscription.next()).value.reason],
    [1, 'link peer:3 is down'],
  );
  await subscription.return();
  assert.deepEqual(await subscription.next(), { value: undefined, done: true });
});

test('delay queue: entries run in deadline order from one timer, all that are due in one turn', async () => {
  const queue = new DelayQueue();
  const ran: string[] = [];
  queue.add(30_000, () => ran.push('30ms'));
  queue.add(10_000, () => ran.push('10ms'));
  queue.add(10_000, () => ran.push('10ms again'));
  queue.add(0, () => ran.push('now'));
  assert.equal(queue.size, 4);
  await new Promise((resolve) => setTimeout(resolve, 60));
  assert.deepEqual(ran, ['now', '10ms', '10ms again', '30ms']);
  queue.add(1000, () => ran.push('never'));
  queue.clear();
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(ran.length, 4);
});

test('fd budget: /proc limits parsed, the cost of a switched join, a shortage named with its numbers', () => {
  const limits =
    'Limit                     Soft Limit           Hard Limit           Units\nMax open files            1024                 524288               files\n';
  assert.deepEqual(parseFdLimit(limits), { soft: 1024, hard: 524288 });
  assert.deepEqual(parseFdLimit('Max open files unlimited unlimited files'), { soft: Infinity, hard: Infinity });
  assert.throws(() => parseFdLimit('nothing'), /Max open files/);
  assert.equal(switchedJoinCost(3, 16), 16 * 7);
  assert.equal(peersThatFit(1024, 16), 8);
  assert.equal(peersThatFit(-5, 16), 0);
  assert.equal(fdShortage(100, 500, { soft: 1024, hard: 1024 }), undefined);
  assert.equal(
    fdShortage(1000, 500, { soft: 1024, hard: 4096 }),
    'switched doorbells need 1000 more fds for this peer, with 500 open and a limit (RLIMIT_NOFILE) of 1024 (32 kept spare): raise the limit (ulimit -n) or admit fewer peers',
  );
});
