// sys.EventfdSet: several eventfds one thread waits on together (real
// eventfds, a real epoll instance, a real worker thread).
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import * as sys from '../../src/sys/index.js';

function rang(set: sys.EventfdSet, n: number): Map<number, number> {
  return new Map(Array.from({ length: n }, (_, i) => [set.ready[i]!, set.counts[i]!]));
}

test('an EventfdSet says which eventfds rang and how often, drains them, and leaves them open when closed', () => {
  const fds = sys.createEventfds(3);
  const set = new sys.EventfdSet(fds);
  try {
    assert.equal(set.wait(10), 0, 'nothing rang: timeout');
    sys.ringEventfd(fds[0]!, 2);
    sys.ringEventfd(fds[2]!, 5);
    const n = set.wait(10);
    assert.equal(n, 2);
    assert.deepEqual(
      rang(set, n),
      new Map([
        [0, 2],
        [2, 5],
      ]),
    );
    assert.equal(set.wait(0), 0, 'each was drained');
    assert.equal(sys.drainEventfd(fds[0]!), 0);
    sys.ringEventfd(fds[1]!);
    assert.deepEqual(rang(set, set.wait(10)), new Map([[1, 1]]));
    assert.throws(() => set.wait(-2), /eventfdSetWait/);
  } finally {
    set.close();
  }
  sys.ringEventfd(fds[1]!, 3);
  assert.equal(sys.drainEventfd(fds[1]!), 3, 'the fds outlive the set');
  fds.forEach(sys.close);
  assert.throws(() => new sys.EventfdSet([-1]), TypeError);
  assert.throws(
    () => new sys.EventfdSet([fds[0]!]),
    (error) => sys.isSysError(error),
    'a closed fd',
  );
});

test('a worker thread blocked on an EventfdSet wakes when one of them rings', { timeout: 10_000 }, async () => {
  const fds = sys.createEventfds(4);
  const worker = new Worker(
    `import { parentPort, workerData } from 'node:worker_threads';
     const sys = await import(workerData.sys);
     const set = new sys.EventfdSet(workerData.fds);
     const n = set.wait(-1);
     parentPort.postMessage([...set.ready.subarray(0, n)].map((index, i) => [index, set.counts[i]]));
     set.close();`,
    { eval: true, workerData: { fds, sys: new URL('../../src/sys/index.js', import.meta.url).href } },
  );
  try {
    const answer = new Promise<[number, number][]>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    sys.ringEventfd(fds[3]!, 7);
    assert.deepEqual(await answer, [[3, 7]]);
  } finally {
    await worker.terminate();
    fds.forEach(sys.close);
  }
});
