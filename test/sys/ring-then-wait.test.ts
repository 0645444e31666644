// sys.ringThenWaitEventfd(): a worker thread's answer and its next wait in
// one call into the addon (real eventfds, a real worker thread).
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import * as sys from '../../src/sys/index.js';

test("ringThenWaitEventfd rings the one, then returns the other's count, or 0 after the timeout", {
  timeout: 10_000,
}, () => {
  const [ring, wait] = sys.createEventfds(2);
  try {
    assert.equal(sys.ringThenWaitEventfd(ring!, wait!, 10), 0, 'nothing rang: timeout');
    assert.equal(sys.drainEventfd(ring!), 1, 'but it rang');
    sys.ringEventfd(wait!, 4);
    assert.equal(sys.ringThenWaitEventfd(ring!, wait!, 10), 4);
    assert.equal(sys.drainEventfd(wait!), 0, 'the count was taken');
    assert.throws(
      () => sys.ringThenWaitEventfd(ring!, wait!, -2),
      /eventfdRingWait\(ringFd: number, waitFd: number, timeoutMs: integer >= -1\)/,
    );
    assert.throws(() => sys.ringThenWaitEventfd(-1, wait!, 0), TypeError);
  } finally {
    sys.close(ring!);
    sys.close(wait!);
  }
});

test('ping-pong with a worker thread: each hop one ringThenWaitEventfd, no ring lost', {
  timeout: 20_000,
}, async () => {
  const [toWorker, toMain] = sys.createEventfds(2);
  const rounds = 500;
  const worker = new Worker(new URL('./ring-then-wait-echo.js', import.meta.url), {
    workerData: { waitFd: toWorker, ringFd: toMain, rounds },
  });
  const finished = new Promise<number>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  try {
    let answered = sys.ringThenWaitEventfd(toWorker!, toMain!, 5000);
    while (answered < rounds) answered += sys.ringThenWaitEventfd(toWorker!, toMain!, 5000) || Infinity;
    assert.equal(answered, rounds, 'every answer came back');
    assert.equal(await finished, rounds, 'the worker saw every ring');
  } finally {
    await worker.terminate();
    sys.close(toWorker!);
    sys.close(toMain!);
  }
});
