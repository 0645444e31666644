// Switched doorbells with real sockets and eventfds: every doorbell passes
// through the server's forwarding policy, which the tests replace with
// stubs and with the fabric's Router (counters, drops, latency, link faults).
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import {
  type BuiltInDoorbell,
  type ForwardingPolicy,
  type ServerOptions,
  type SwitchedDoorbell,
} from '../../src/server/index.js';
import type { FamezClient } from '../../src/client/index.js';
import { Router } from '../../src/switching/router.js';
import { isolate } from '../../src/switching/faults.js';
import { RawPeer, sleep, startServer, waitFor } from './helpers.js';

/** A switched server, lowest ids first. */
function start(t: TestContext, options: ServerOptions) {
  return startServer(t, { switched: true, ids: 'lowest', ...options });
}

/** Counts the rings `client` gets per vector. */
function tally(client: FamezClient): number[] {
  const counts: number[] = [];
  client.on('doorbell', ({ vector, count }) => {
    counts[vector] = (counts[vector] ?? 0) + count;
  });
  return counts;
}

/** Rings `total` times in batches, letting the event loop run between them (so the server sees many wake-ups). */
async function ringMany(client: FamezClient, peer: number, vector: number, total: number, batch = 100): Promise<void> {
  for (let sent = 0; sent < total; sent += batch) {
    for (let i = 0; i < Math.min(batch, total - sent); i++) client.ring(peer, vector);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

test('switched: every doorbell passes the policy, from the sender and to the receiver it was meant for, on its vector', {
  timeout: 60_000,
}, async (t) => {
  const seen: SwitchedDoorbell[] = [];
  const policy: ForwardingPolicy = {
    forward: (doorbell) => {
      seen.push({ ...doorbell });
      return { kind: 'deliver' };
    },
  };
  const h = await start(t, { vectors: 3, forwarding: policy });
  const a = await h.client();
  const b = await h.client();
  const c = await h.client();
  await waitFor(() => a.peers.size === 3 && b.peers.size === 3, 'everyone to know everyone');
  const [ta, tb, tc] = [tally(a), tally(b), tally(c)];
  a.ring(b.id, 2);
  b.ring(c.id, 0);
  c.ring(a.id, 1);
  a.ring(a.id, 0); // its own doorbell: the receiver's own eventfd, not switched
  await waitFor(() => tb[2] === 1 && tc[0] === 1 && ta[1] === 1 && ta[0] === 1, 'the doorbells');
  assert.deepEqual(
    seen.map((d) => [d.from, d.to, d.vector, d.count]).sort(),
    [
      [a.id, b.id, 2, 1],
      [b.id, c.id, 0, 1],
      [c.id, a.id, 1, 1],
    ].sort(),
  );
  assert.equal(h.server.switched, true);
  await h.done();
});

test('switched: drop and a partial count are honoured; a policy can be replaced while running', {
  timeout: 60_000,
}, async (t) => {
  const h = await start(t, { vectors: 1, forwarding: { forward: () => ({ kind: 'drop' }) } });
  const a = await h.client();
  const b = await h.client();
  await waitFor(() => a.peers.size === 2, 'a to know b');
  const tb = tally(b);
  a.ring(b.id, 0);
  await sleep(50);
  assert.deepEqual(tb, [], 'dropped: nothing arrived');
  h.server.forwarding = { forward: ({ count }) => ({ kind: 'deliver', count: count - 1 }) };
  for (let i = 0; i < 5; i++) a.ring(b.id, 0); // coalesced: one wake-up of count 5, one lost
  await waitFor(() => tb[0] === 4, 'four of five rings');
  await h.done();
});

test('switched through the Router: counters exact after 100,000 doorbells', { timeout: 60_000 }, async (t) => {
  const router = new Router({ seed: 1 });
  const h = await start(t, { vectors: 2, forwarding: router });
  const a = await h.client();
  const b = await h.client();
  await waitFor(() => a.peers.size === 2 && b.peers.size === 2, 'the peers to know each other');
  const tb = tally(b);
  const ta = tally(a);
  await ringMany(a, b.id, 1, 100_000);
  await ringMany(b, a.id, 0, 1000);
  await waitFor(() => tb[1] === 100_000 && ta[0] === 1000, 'every ring', 20_000);
  const counters = router.counters();
  assert.deepEqual(counters.get(`peer:${a.id}`), { forwarded: 101_000, dropped: 0, delayed: 0, messages: 0, bytes: 0 });
  assert.deepEqual(counters.get(`peer:${b.id}`), { forwarded: 101_000, dropped: 0, delayed: 0, messages: 0, bytes: 0 });
  await h.done();
});

test('switched through the Router: a 10% drop probability loses about 10% (seeded), and every ring is either delivered or counted dropped', {
  timeout: 60_000,
}, async (t) => {
  const router = new Router({ seed: 12345 });
  const h = await start(t, { forwarding: router });
  const a = await h.client();
  const b = await h.client();
  await waitFor(() => a.peers.size === 2, 'a to know b');
  router.apply({ kind: 'drop', link: `peer:${b.id}`, probability: 0.1 });
  const tb = tally(b);
  const SENT = 20_000;
  await ringMany(a, b.id, 0, SENT, 10);
  await waitFor(
    () => (tb[0] ?? 0) + router.counters().get(`peer:${b.id}`)!.dropped === SENT,
    'every ring accounted for',
    20_000,
  );
  const dropped = router.counters().get(`peer:${b.id}`)!.dropped;
  // Binomial(20000, 0.1): mean 2000, sd 42; 6 sd either side.
  assert.ok(dropped > 1750 && dropped < 2250, `dropped ${dropped} of ${SENT}`);
  assert.equal(
    router.counters().get(`peer:${a.id}`)!.forwarded,
    SENT - dropped,
    "the sender's link counts what passed",
  );
  await h.done();
});

test('switched through the Router: added latency holds a doorbell back (measured) without holding up others', {
  timeout: 60_000,
}, async (t) => {
  const router = new Router();
  const h = await start(t, { forwarding: router });
  const a = await h.client();
  const b = await h.client();
  const c = await h.client();
  await waitFor(() => a.peers.size === 3, 'a to know everyone');
  router.apply({ kind: 'latency', link: `peer:${b.id}`, us: 80_000 });
  const order: string[] = [];
  const arrived = new Promise<number>((resolve) => {
    const sentAt = performance.now();
    b.once('doorbell', () => {
      order.push('b');
      resolve(performance.now() - sentAt);
    });
    c.once('doorbell', () => order.push('c'));
    a.ring(b.id, 0);
    a.ring(c.id, 0);
  });
  const ms = await arrived;
  assert.ok(ms >= 79, `the doorbell took ${ms.toFixed(1)} ms, at least the 80 ms added`);
  assert.deepEqual(order, ['c', 'b'], 'the undelayed doorbell to c did not wait');
  assert.equal(router.counters().get(`peer:${b.id}`)!.delayed, 1);
  await h.done();
});

test('switched through the Router: link down, nothing arrives and the drops are counted; up, doorbells arrive again', {
  timeout: 60_000,
}, async (t) => {
  const router = new Router();
  const h = await start(t, { forwarding: router });
  const a = await h.client();
  const b = await h.client();
  await waitFor(() => a.peers.size === 2, 'a to know b');
  const tb = tally(b);
  router.apply(isolate(b.id));
  await ringMany(a, b.id, 0, 500, 50);
  await waitFor(() => router.counters().get(`peer:${b.id}`)!.dropped === 500, 'the drops counted');
  await sleep(30);
  assert.deepEqual(tb, [], 'nothing arrived while the link was down');
  router.apply(isolate(b.id, false));
  a.ring(b.id, 0);
  await waitFor(() => tb[0] === 1, 'the doorbell after link up');
  await h.done();
});

test("switched: recycling keeps the others' lines to a leaving id; a built-in peer rings and is rung directly; fds back to baseline", {
  timeout: 60_000,
}, async (t) => {
  const seen: SwitchedDoorbell[] = [];
  const h = await start(t, {
    vectors: 2,
    recycle: true,
    idRange: { first: 1, last: 2 },
    forwarding: {
      forward: (d) => {
        seen.push({ ...d });
        return { kind: 'deliver' };
      },
    },
  });
  const builtIn = h.server.addBuiltInPeer(9);
  const rung: number[] = [];
  builtIn.on('doorbell', ({ vector }) => rung.push(vector));
  const stayer = await h.client();
  const raw = RawPeer.connect(h.path);
  t.after(() => raw.close());
  await raw.take(3 + 2 * 3); // welcome, then peer 1, the built-in 9, itself: 2 vectors each
  raw.close();
  await waitFor(() => !h.server.peers.has(2), 'the raw peer 2 gone');
  for (let round = 0; round < 3; round++) {
    const comer = await h.client();
    assert.equal(comer.id, 2, 'the recycled id');
    const tc = tally(comer);
    stayer.ring(2, 1);
    await waitFor(() => tc[1] === 1, `round ${round}: the stayer reaches the new peer 2 through its old line`);
    comer.ring(9, 0);
    builtIn.ring(comer.id, 1);
    await waitFor(() => rung.length === round + 1 && tc[1] === 2, `round ${round}: the built-in rings and is rung`);
    comer.close();
    await waitFor(() => !h.server.peers.has(2), 'peer 2 gone');
  }
  assert.ok(
    seen.every((d) => d.to !== 9 && d.from !== 9),
    'doorbells to and from the built-in peer pass direct',
  );
  assert.equal(seen.length, 3);
  await h.done();
});

test('switched: a switched built-in peer stands behind the policy both ways, hears who rang it, and is taken over on its id; fds back to baseline', {
  timeout: 60_000,
}, async (t) => {
  const seen: SwitchedDoorbell[] = [];
  // Passing in the addon would hide the sender: the policy offers it, the server must not take it to a switched
  // built-in peer.
  const policy: ForwardingPolicy = {
    forward: (d) => {
      seen.push({ ...d });
      return { kind: 'deliver' };
    },
    bypasses: () => true,
  };
  const h = await start(t, { vectors: 2, recycle: true, idRange: { first: 1, last: 3 }, forwarding: policy });
  const a = await h.client();
  const remote = h.server.addBuiltInPeer(7, { switched: true });
  const b = await h.client();
  const heard: BuiltInDoorbell[] = [];
  remote.on('doorbell', (doorbell) => heard.push(doorbell));
  await waitFor(() => a.peers.has(7) && b.peers.has(7), 'both peers to know the built-in peer');
  a.ring(7, 1);
  b.ring(7, 0);
  await waitFor(() => heard.length === 2, 'the built-in peer rung by both');
  assert.deepEqual(
    heard.sort((x, y) => x.from! - y.from!),
    [
      { vector: 1, count: 1, from: a.id },
      { vector: 0, count: 1, from: b.id },
    ],
  );
  const tb = tally(b);
  assert.equal(remote.ring(b.id, 1, 3), true);
  assert.equal(remote.ring(5, 1), false, 'nobody holds id 5');
  await waitFor(() => tb[1] === 3, "the built-in peer's rings through the policy");
  assert.deepEqual(
    seen.map((d) => [d.from, d.to, d.vector, d.count]),
    [
      [a.id, 7, 1, 1],
      [b.id, 7, 0, 1],
      [7, b.id, 1, 3],
    ],
  );
  // It leaves (recycled: the lines to 7 stay) and another built-in peer takes the id over.
  h.server.removeBuiltInPeer(7, 'gone');
  const again = h.server.addBuiltInPeer(7, { switched: true });
  const heardAgain: BuiltInDoorbell[] = [];
  again.on('doorbell', (doorbell) => heardAgain.push(doorbell));
  a.ring(7, 1);
  await waitFor(() => heardAgain.length === 1, 'the new holder of id 7 rung through the old line');
  assert.deepEqual(heardAgain, [{ vector: 1, count: 1, from: a.id }]);
  await h.done();
});

test('switched through the Router: with nothing to look at, doorbells pass in the addon (no forward() call) and are counted exactly; a fault or a trace listener brings every doorbell back to the policy', {
  timeout: 60_000,
}, async (t) => {
  const router = new Router();
  let looked = 0;
  const forward = router.forward.bind(router);
  router.forward = (doorbell) => {
    looked++;
    return forward(doorbell);
  };
  const h = await start(t, { forwarding: router });
  const a = await h.client();
  const b = await h.client();
  await waitFor(() => a.peers.size === 2, 'a to know b');
  const tb = tally(b);
  assert.equal(router.bypasses(a.id, b.id), true);
  await ringMany(a, b.id, 0, 1000, 10);
  await waitFor(() => tb[0] === 1000, '1000 rings delivered');
  assert.equal(looked, 0, 'no doorbell needed the policy');
  assert.equal(router.counters().get(`peer:${a.id}`)!.forwarded, 1000, 'counted in bulk, exactly');

  router.apply({ kind: 'latency', link: `peer:${b.id}`, us: 1 });
  assert.equal(router.bypasses(a.id, b.id), false);
  await ringMany(a, b.id, 0, 100, 10);
  await waitFor(() => tb[0] === 1100, '100 more, delayed by 1 us');
  assert.ok(looked > 0, 'with latency, the policy sees them');

  router.apply({ kind: 'clear' });
  const before = looked;
  await ringMany(a, b.id, 0, 100, 10);
  await waitFor(() => tb[0] === 1200, '100 more after clear');
  assert.equal(looked, before, 'cleared: straight again');

  let traced = 0;
  router.on('trace', (entry) => {
    traced += entry.count;
  });
  await sleep(0);
  await ringMany(a, b.id, 0, 10, 10);
  await waitFor(() => traced === 10 || undefined, 'a trace listener sees every ring');
  assert.equal(router.counters().get(`peer:${a.id}`)!.forwarded, 1210);
  await h.done();
});
