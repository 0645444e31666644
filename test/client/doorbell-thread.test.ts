// The low-latency doorbell wait: a vector handed over to a worker thread that
// blocks in sys.waitEventfd() and rings back, while the event loop goes on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { createServer } from '../../src/server/index.js';
import { connect, type Doorbell } from '../../src/client/index.js';
import * as sys from '../../src/sys/index.js';
import { fdBaseline, sleep, tempDir, waitFor } from '../server/helpers.js';

const ECHO = new URL('./doorbell-echo.js', import.meta.url);

test('a worker thread waits on a taken doorbell and rings back; the vector no longer comes as events', async (t) => {
  const fds = fdBaseline();
  const path = join(tempDir(t), 'sock');
  const server = createServer({ socketPath: path, memory: { kind: 'memfd', size: 1 << 16 }, vectors: 2 });
  await server.listen();
  const a = await connect({ path });
  const b = await connect({ path });
  await waitFor(() => a.peers.has(b.id), 'A knows B');
  const events: Doorbell[] = [];
  b.on('doorbell', (d) => events.push(d));
  const waitFd = b.takeDoorbell(1);
  assert.doesNotMatch(
    readFileSync(`/proc/self/fdinfo/${waitFd}`, 'utf8'),
    /^flags:\s*[0-7]*[4-7][0-7]{3}$/m,
    'made blocking for the thread',
  );
  assert.throws(() => b.takeDoorbell(2), RangeError);
  // The worker answers each ring of B's vector 1 by ringing A's vector 0, `rounds` times.
  const rounds = 200;
  const worker = new Worker(ECHO, { workerData: { waitFd, ringFd: b.doorbellFds(a.id)[0], rounds } });
  const finished = new Promise<number>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  let answered = 0;
  const answer = new Promise<void>((resolve) =>
    a.on('doorbell', ({ vector, count }) => {
      if (vector !== 0) return;
      answered += count;
      if (answered >= rounds) resolve();
      else a.ring(b.id, 1);
    }),
  );
  a.ring(b.id, 1);
  await answer;
  assert.equal(await finished, rounds, 'the worker saw every ring');
  // Vector 0 still comes as an event; vector 1 does not.
  a.ring(b.id, 0);
  await waitFor(() => events.length === 1, "B's vector 0 as an event");
  assert.deepEqual(events, [{ vector: 0, count: 1 }]);
  a.ring(b.id, 1);
  await sleep(20);
  assert.equal(events.length, 1, "vector 1 is the thread's");
  assert.equal(sys.drainEventfd(waitFd), 1, 'the ring waits in the eventfd for the thread');
  await worker.terminate();
  a.close();
  b.close();
  await server.close();
  await fds.check();
});

test('sys.waitEventfd() returns 0 when nothing rings within the timeout, and the count when rung', () => {
  const fd = sys.createEventfd();
  try {
    assert.equal(sys.waitEventfd(fd, 10), 0);
    sys.ringEventfd(fd, 3);
    assert.equal(sys.waitEventfd(fd, 10), 3);
    assert.throws(() => sys.waitEventfd(fd, -2), TypeError);
  } finally {
    sys.close(fd);
  }
});
