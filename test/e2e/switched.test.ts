// Two real QEMU 7.2 guests on a switched famez server: every doorbell passes
// through the server; the rings arrive as without switching; with guest B's
// link down, A's ring is lost (B's pending bit stays clear) and counted, and
// once the link is up again A's ring arrives.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { connect, createServer } from '../../src/index.js';
import { Router } from '../../src/switching/router.js';
import { isolate } from '../../src/switching/faults.js';
import { skipE2e, startGuest, useGuests, type GuestStep } from './harness.js';

const skip = skipE2e;
const dir = useGuests('famez-e2e-switched-');

test("two guests under switching: rings arrive; B's link down, A's ring is lost and counted; up, it arrives", {
  skip,
  timeout: 120_000,
}, async () => {
  const router = new Router({ seed: 1 });
  const server = createServer({
    socketPath: join(dir, 'sock'),
    memory: { kind: 'memfd', size: 1 << 20 },
    vectors: 2,
    switched: true,
    forwarding: router,
  });
  await server.listen();
  const host = await connect({ path: server.socketPath });
  const memory = new DataView(host.memory.map(0, 4096).buffer);
  const PHASE = 8; // written by the host: 1 once B's link is down, 2 once it is up again
  try {
    const a: GuestStep[] = [
      { op: 'pub', off: 0 },
      { op: 'ring', peer: '@4', vector: 1 },
      { op: 'waitmem', off: PHASE, val: 1 },
      { op: 'ring', peer: '@4', vector: 1 },
      { op: 'waitmem', off: PHASE, val: 2 },
      { op: 'ring', peer: '@4', vector: 1 },
      { op: 'wait' },
    ];
    const b: GuestStep[] = [
      { op: 'pub', off: 4 },
      { op: 'wait' },
      { op: 'wait', timeoutMs: 4000 },
      { op: 'wait' },
      { op: 'ring', peer: '@0', vector: 0 },
    ];
    const guestA = startGuest({ socket: server.socketPath, vectors: 2, steps: a, name: 'A' });
    const guestB = startGuest({ socket: server.socketPath, vectors: 2, steps: b, name: 'B' });
    try {
      const pubB = await guestB.waitFor('pub', 90_000);
      const first = await guestB.waitFor('wait', 60_000);
      assert.ok(first.ok && first.pending.includes(1), `B was rung on vector 1 through the server: ${first.line}`);
      router.apply(isolate(pubB.id!));
      memory.setUint32(PHASE, 1, true);
      const lost = await guestB.waitFor('wait', 60_000, { after: first });
      assert.equal(lost.ok, false, `with its link down B heard nothing, its pending bits clear: ${lost.line}`);
      assert.deepEqual(lost.pending, []);
      assert.equal(router.counters().get(`peer:${pubB.id}`)!.dropped, 1, "A's ring counted as dropped");
      router.apply(isolate(pubB.id!, false));
      memory.setUint32(PHASE, 2, true);
      const [endA, endB] = await Promise.all([guestA.finished(60_000), guestB.finished(60_000)]);
      const last = endB.events.filter((e) => e.event === 'wait').at(-1)!;
      assert.ok(
        last.event === 'wait' && last.ok && last.pending.includes(1),
        `link up: A's ring arrived: ${last.line}`,
      );
      const back = endA.events.find((e) => e.event === 'wait');
      assert.ok(back?.event === 'wait' && back.ok && back.pending.includes(0), 'B rang A back through the server');
      const counters = router.counters().get(`peer:${pubB.id}`)!;
      assert.deepEqual(
        [counters.forwarded, counters.dropped],
        [3, 1],
        'two rings to B and one from B passed; one was lost',
      );
    } finally {
      await Promise.all([guestA.kill(), guestB.kill()]);
    }
  } finally {
    host.close();
    await server.close();
  }
});
