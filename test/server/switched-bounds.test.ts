// Bounds on switched doorbells: the delay queue holds at most maxDelayed
// doorbells; more are dropped, counted (the server's figures and the policy's
// counters: the Router's link counters), and said once, not once per ring.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { connect } from '../../src/client/index.js';
import { Router } from '../../src/switching/router.js';
import { topologyFromJson } from '../../src/switching/fabric-file.js';
import { DelayQueue } from '../../src/server/delay-queue.js';
import { createServer, type ForwardingPolicy, type SwitchedDoorbell } from '../../src/server/index.js';
import { fdBaseline, tempDir, waitFor } from './helpers.js';

const TIMEOUT = { timeout: 20_000 };

test('delay queue: entries beyond the limit are refused and counted', TIMEOUT, () => {
  const queue = new DelayQueue(undefined, 2);
  const ran: number[] = [];
  assert.equal(
    queue.add(60_000_000, () => ran.push(1)),
    true,
  );
  assert.equal(
    queue.add(60_000_000, () => ran.push(2)),
    true,
  );
  assert.equal(
    queue.add(0, () => ran.push(3)),
    false,
  );
  assert.deepEqual([queue.size, queue.dropped], [2, 1]);
  queue.clear();
  assert.equal(
    queue.add(0, () => ran.push(4)),
    true,
  );
  queue.clear();
});

test("router: doorbells the server could not hold count as dropped on the route's last link", TIMEOUT, () => {
  const router = new Router({ topology: topologyFromJson({ switches: ['s1'], links: [], peers: [] }) });
  router.overflowed({ from: 1, to: 2, vector: 0, count: 3 });
  assert.equal(router.counters().get('peer:2')!.dropped, 3);
});

test(
  'a switched server holds at most maxDelayed doorbells: the rest are dropped, counted and said once',
  TIMEOUT,
  async (t) => {
    const fds = fdBaseline();
    const seen: SwitchedDoorbell[] = [];
    const overflowed: SwitchedDoorbell[] = [];
    const policy: ForwardingPolicy = {
      forward: (doorbell) => {
        seen.push(doorbell);
        return { kind: 'delay', us: 60_000_000 };
      },
      overflowed: (doorbell) => {
        overflowed.push(doorbell);
      },
    };
    const server = createServer({
      socketPath: join(tempDir(t), 'sock'),
      memory: { kind: 'memfd', size: 1 << 16 },
      switched: true,
      forwarding: policy,
      maxDelayed: 3,
    });
    const warnings: string[] = [];
    server.on('warning', (text) => warnings.push(text));
    await server.listen();
    const a = await connect({ path: server.socketPath });
    const b = await connect({ path: server.socketPath });
    try {
      await waitFor(() => a.peers.has(b.id), 'a to hear of b');
      for (let i = 1; i <= 5; i++) {
        a.ring(b.id, 0);
        await waitFor(() => seen.length === i, `ring ${i} to reach the policy`);
      }
      assert.deepEqual(server.delayedDoorbells, { waiting: 3, dropped: 2, limit: 3 });
      assert.deepEqual(overflowed, [
        { from: a.id, to: b.id, vector: 0, count: 1 },
        { from: a.id, to: b.id, vector: 0, count: 1 },
      ]);
      assert.equal(warnings.length, 1, warnings.join('\n'));
      assert.match(
        warnings[0]!,
        /^switched doorbells: 3 delayed doorbells wait already: dropping more \(1 dropped so far/,
      );
    } finally {
      a.close();
      b.close();
      await server.close();
    }
    assert.equal(server.delayedDoorbells.waiting, 0);
    await fds.check();
  },
);
