// A doorbell given over to a waiting thread: made blocking, its unbounded wait
// is one read(); made non-blocking again (a peer shares the flag), the wait
// still waits, in poll(). Real eventfds, a real worker thread, and the
// thread's system call read from /proc.
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import * as sys from '../../src/sys/index.js';
import { waitFor } from '../helpers/fds.js';

const O_NONBLOCK = 0o4000;
/** System call numbers of read and of the poll a wait falls back to, by architecture. */
const CALLS: Record<string, { read: number; poll: number }> = {
  x64: { read: 0, poll: 7 },
  arm64: { read: 63, poll: 73 },
};

function nonBlocking(fd: sys.Fd): boolean {
  const flags = /^flags:\s*([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))?.[1];
  assert.ok(flags, `flags of fd ${fd} in /proc/self/fdinfo`);
  return (Number.parseInt(flags, 8) & O_NONBLOCK) !== 0;
}

/**
 * Whether some thread of ours is in system call `call` with `fd` as its first argument (any first argument: undefined).
 */
function threadIn(call: number, fd?: sys.Fd): boolean {
  return readdirSync('/proc/self/task').some((task) => {
    let fields: string[];
    try {
      fields = readFileSync(`/proc/self/task/${task}/syscall`, 'utf8').split(' ');
    } catch {
      return false; // the thread ended
    }
    return Number(fields[0]) === call && (fd === undefined || Number(fields[1]) === fd);
  });
}

test('an unbounded wait on a blocking eventfd sits in read(); made non-blocking again, it waits in poll()', {
  timeout: 20_000,
}, async () => {
  const calls = CALLS[process.arch];
  assert.ok(calls, `system call numbers for ${process.arch}: add them to CALLS`);
  const fd = sys.createEventfd();
  const counts: number[] = [];
  const worker = new Worker(
    `import { parentPort, workerData } from 'node:worker_threads';
     const sys = await import(workerData.sys);
     for (let i = 0; i < 3; i++) parentPort.postMessage(sys.waitEventfd(workerData.fd));`,
    { eval: true, workerData: { fd, sys: new URL('../../src/sys/index.js', import.meta.url).href } },
  );
  worker.on('message', (count: number) => counts.push(count));
  try {
    assert.equal(nonBlocking(fd), true, 'eventfds are made non-blocking');
    sys.setEventfdBlocking(fd, true);
    assert.equal(nonBlocking(fd), false);
    await waitFor(() => threadIn(calls.read, fd), 'the worker blocked in read() on the eventfd');
    sys.ringEventfd(fd, 2);
    await waitFor(() => counts.length === 1, 'the first wait returns');
    await waitFor(() => threadIn(calls.read, fd), 'the worker back in read()');
    // A peer turns O_NONBLOCK back on: a read already waiting goes on waiting, and the next wait polls.
    sys.setEventfdBlocking(fd, false);
    assert.equal(nonBlocking(fd), true);
    sys.ringEventfd(fd, 3);
    await waitFor(() => counts.length === 2, 'the second wait returns');
    await waitFor(() => threadIn(calls.poll) && !threadIn(calls.read, fd), 'the worker waits in poll(), not read()');
    sys.ringEventfd(fd, 4);
    await waitFor(() => counts.length === 3, 'the third wait returns');
    assert.deepEqual(counts, [2, 3, 4]);
    assert.throws(() => sys.setEventfdBlocking(-1, true), TypeError);
  } finally {
    await worker.terminate();
    sys.close(fd);
  }
});
