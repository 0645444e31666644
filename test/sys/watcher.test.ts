// The native fd watcher (uv_poll): Watcher.fd and Watcher.eventfd.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import * as sys from '../../src/sys/index.js';
import { openFdCount, sleep, waitFor, withNoFdLeak, withTimeout, type FdScope } from '../helpers/fds.js';
import { explain, pattern, runNode, socketPair, sysError, typeError, warmUpChildProcesses } from './common.js';

before(() => warmUpChildProcesses());

/** Closes the watcher after the test (before the fds owned earlier). */
function watched(scope: FdScope, watcher: sys.Watcher): sys.Watcher {
  scope.defer(() => watcher.close());
  return watcher;
}

/** An eventfd with a watcher that records every count it is called with. */
function ringing(scope: FdScope): { fd: sys.Fd; counts: number[]; watcher: sys.Watcher } {
  const fd = scope.own(sys.createEventfd());
  const counts: number[] = [];
  const watcher = watched(
    scope,
    sys.Watcher.eventfd(fd, (count) => counts.push(count)),
  );
  return { fd, counts, watcher };
}

/** Sends until the socket is full; returns how many 8-byte messages went. */
function fill(fd: sys.Fd): number {
  let sent = 0;
  while (sys.send(fd, pattern(8)) !== 'would-block') sent++;
  return sent;
}

describe('Watcher.fd', { timeout: 120_000 }, () => {
  test(
    'readable fires when data arrives, and not before',
    withNoFdLeak(async (scope) => {
      const pair = socketPair(scope);
      const calls: sys.Readiness[] = [];
      const received: Uint8Array[] = [];
      const watcher = watched(
        scope,
        sys.Watcher.fd(pair.server, (ready) => {
          calls.push(ready);
          const got = sys.receive(pair.server, 64);
          if (got) received.push(got.bytes);
        }),
      );
      watcher.start(sys.READABLE);
      await sleep(50);
      assert.deepEqual(calls, [], 'nothing to read yet');
      sys.send(pair.client, pattern(8, 1));
      await waitFor(() => received.length === 1, 'the readable callback');
      assert.deepEqual(calls, [{ readable: true, writable: false }]);
      assert.deepEqual(received, [pattern(8, 1)]);
      await sleep(30);
      assert.equal(calls.length, 1, 'no more calls once the data was read');
      sys.send(pair.client, pattern(8, 2));
      await waitFor(() => received.length === 2, 'the second readable callback');
      assert.deepEqual(received[1], pattern(8, 2));
    }),
  );

  test(
    'it is level-triggered: readable repeats while the data stays unread',
    withNoFdLeak(async (scope) => {
      const pair = socketPair(scope);
      let calls = 0;
      const watcher = watched(
        scope,
        sys.Watcher.fd(pair.server, () => {
          calls++;
        }),
      );
      watcher.start(sys.READABLE);
      sys.send(pair.client, pattern(8));
      await waitFor(() => calls >= 3, 'repeated readable callbacks');
      watcher.stop();
      assert.deepEqual(sys.receive(pair.server, 8)?.bytes, pattern(8));
    }),
  );

  test(
    'writable fires when the socket can take data',
    withNoFdLeak(async (scope) => {
      const pair = socketPair(scope);
      const calls: sys.Readiness[] = [];
      const watcher = watched(
        scope,
        sys.Watcher.fd(pair.client, (ready) => {
          calls.push(ready);
          watcher.stop();
        }),
      );
      watcher.start(sys.WRITABLE);
      await waitFor(() => calls.length > 0, 'the writable callback');
      assert.deepEqual(calls, [{ readable: false, writable: true }]);
      await sleep(30);
      assert.equal(calls.length, 1, 'stop() inside the callback ends the calls');
    }),
  );

  test(
    'writable fires again once a full socket is drained by its reader',
    withNoFdLeak(async (scope) => {
      const pair = socketPair(scope);
      const sent = fill(pair.client);
      let writable = 0;
      const watcher = watched(
        scope,
        sys.Watcher.fd(pair.client, (ready) => {
          if (ready.writable) writable++;
          watcher.stop();
        }),
      );
      watcher.start(sys.WRITABLE);
      await sleep(50);
      assert.equal(writable, 0, 'a full socket is not writable');
      let received = 0;
      while (sys.receive(pair.server, 8) !== null) received++;
      assert.equal(received, sent);
      await waitFor(() => writable === 1, 'writable after the reader drained');
    }),
  );

  test(
    'READABLE | WRITABLE reports both in one call',
    withNoFdLeak(async (scope) => {
      const pair = socketPair(scope);
      sys.send(pair.client, pattern(8));
      const calls: sys.Readiness[] = [];
      const watcher = watched(
        scope,
        sys.Watcher.fd(pair.server, (ready) => {
          calls.push(ready);
          watcher.stop();
        }),
      );
      watcher.start(sys.READABLE | sys.WRITABLE);
      await waitFor(() => calls.length > 0, 'the callback');
      assert.deepEqual(calls, [{ readable: true, writable: true }]);
      sys.receive(pair.server, 8);
    }),
  );

  test(
    'start() with another mask replaces the old one',
    withNoFdLeak(async (scope) => {
      const pair = socketPair(scope);
      const calls: sys.Readiness[] = [];
      const watcher = watched(
        scope,
        sys.Watcher.fd(pair.server, (ready) => calls.push(ready)),
      );
      watcher.start(sys.WRITABLE);
      await waitFor(() => calls.length > 0, 'writable');
      watcher.start(sys.READABLE);
      calls.length = 0;
      await sleep(40);
      assert.deepEqual(calls, [], 'no longer watching for writable');
      sys.send(pair.client, pattern(8));
      await waitFor(() => calls.length > 0, 'readable');
      watcher.stop();
      assert.deepEqual(calls[0], { readable: true, writable: false });
      sys.receive(pair.server, 8);
    }),
  );

  test(
    'the peer closing makes the socket readable (end of stream)',
    withNoFdLeak(async (scope) => {
      const pair = socketPair(scope);
      const ends: number[] = [];
      const watcher = watched(
        scope,
        sys.Watcher.fd(pair.server, (ready) => {
          assert.ok(ready.readable);
          const got = sys.receive(pair.server, 8);
          if (got?.bytes.length === 0) {
            ends.push(1);
            watcher.stop();
          }
        }),
      );
      watcher.start(sys.READABLE);
      scope.close(pair.client);
      await waitFor(() => ends.length === 1, 'end of stream');
    }),
  );

  test(
    'a socket error (peer closed with data unread) is reported as error, then the calls end',
    withNoFdLeak(async (scope) => {
      const pair = socketPair(scope);
      sys.send(pair.client, pattern(8));
      scope.close(pair.server);
      const calls: sys.Readiness[] = [];
      const watcher = watched(
        scope,
        sys.Watcher.fd(pair.client, (ready) => calls.push(ready)),
      );
      watcher.start(sys.READABLE);
      await waitFor(() => calls.length > 0, 'the error callback');
      await sleep(30);
      assert.equal(calls.length, 1);
      assert.equal(calls[0]!.readable, false);
      assert.equal(calls[0]!.writable, false);
      assert.equal(typeof calls[0]!.error, 'number');
      assert.ok(calls[0]!.error! < 0, `a negative libuv status: ${calls[0]!.error}`);
    }),
  );

  test(
    'stop() stops the calls and start() resumes them',
    withNoFdLeak(async (scope) => {
      const pair = socketPair(scope);
      let calls = 0;
      const watcher = watched(
        scope,
        sys.Watcher.fd(pair.server, () => {
          calls++;
        }),
      );
      watcher.start(sys.READABLE);
      sys.send(pair.client, pattern(8));
      await waitFor(() => calls > 0, 'readable');
      watcher.stop();
      watcher.stop();
      const stoppedAt = calls;
      await sleep(100);
      assert.equal(calls, stoppedAt, 'no calls while stopped, though the data is still unread');
      watcher.start(sys.READABLE);
      await waitFor(() => calls > stoppedAt, 'readable after start');
      watcher.stop();
      sys.receive(pair.server, 8);
    }),
  );

  test(
    'errors: a regular file is EPERM, a closed fd EBADF, bad masks and fds TypeErrors',
    withNoFdLeak((scope) => {
      const memfd = scope.own(sys.memfdCreate('famez-watch-file'));
      assert.throws(() => sys.Watcher.fd(memfd, () => undefined), sysError('EPERM', 'uv_poll_init'));
      const closed = sys.createEventfd();
      sys.close(closed);
      assert.throws(() => sys.Watcher.fd(closed, () => undefined), sysError('EBADF', 'uv_poll_init'));
      assert.throws(() => sys.Watcher.fd(-1, () => undefined), typeError);
      assert.throws(() => sys.Watcher.eventfd(-1, () => undefined), typeError);
      const pair = socketPair(scope);
      const watcher = watched(
        scope,
        sys.Watcher.fd(pair.client, () => undefined),
      );
      for (const mask of [0, 4, -1, '1', undefined]) {
        assert.throws(() => watcher.start(mask as number), typeError, `mask ${String(mask)}`);
      }
    }),
  );
});

describe('Watcher.eventfd', { timeout: 120_000 }, () => {
  test(
    'three synchronous rings give one call with count 3; the counter is then 0',
    withNoFdLeak(async (scope) => {
      const { fd, counts } = ringing(scope);
      sys.ringEventfd(fd);
      sys.ringEventfd(fd);
      sys.ringEventfd(fd);
      await waitFor(() => counts.length > 0, 'the ring callback');
      await sleep(20);
      assert.deepEqual(counts, [3]);
      assert.equal(sys.drainEventfd(fd), 0);
      sys.ringEventfd(fd, 5);
      sys.ringEventfd(fd, 7);
      await waitFor(() => counts.length > 1, 'the second ring callback');
      assert.deepEqual(counts, [3, 12]);
    }),
  );

  test(
    'no call when nobody rings, nor when somebody else drained the counter first',
    withNoFdLeak(async (scope) => {
      const { fd, counts } = ringing(scope);
      await sleep(40);
      assert.deepEqual(counts, []);
      sys.ringEventfd(fd, 9);
      assert.equal(sys.drainEventfd(fd), 9);
      await sleep(40);
      assert.deepEqual(counts, []);
    }),
  );

  test(
    'a ring through a received copy of the eventfd reaches the watcher',
    withNoFdLeak(async (scope) => {
      const { fd, counts } = ringing(scope);
      const pair = socketPair(scope);
      sys.send(pair.client, pattern(8), fd);
      const copy = scope.own(sys.receive(pair.server, 8)!.fds[0]!);
      sys.ringEventfd(copy, 4);
      await waitFor(() => counts.length > 0, 'the ring callback');
      assert.deepEqual(counts, [4]);
    }),
  );

  test(
    'stop() stops the calls (ring, wait 100 ms, nothing); start() resumes with the pending count',
    withNoFdLeak(async (scope) => {
      const { fd, counts, watcher } = ringing(scope);
      sys.ringEventfd(fd);
      await waitFor(() => counts.length === 1, 'the first call');
      watcher.stop();
      sys.ringEventfd(fd, 2);
      sys.ringEventfd(fd, 3);
      await sleep(100);
      assert.deepEqual(counts, [1], 'no call while stopped');
      watcher.start(sys.READABLE);
      await waitFor(() => counts.length === 2, 'the call after start');
      assert.deepEqual(counts, [1, 5]);
      assert.equal(sys.drainEventfd(fd), 0);
    }),
  );

  test(
    'close() ends the calls for good; it is idempotent; start after close is EBADF',
    withNoFdLeak(async (scope) => {
      const fd = scope.own(sys.createEventfd());
      const counts: number[] = [];
      const watcher = watched(
        scope,
        sys.Watcher.eventfd(fd, (count) => counts.push(count)),
      );
      assert.equal(watcher.closed, false);
      sys.ringEventfd(fd);
      await waitFor(() => counts.length === 1, 'the first call');
      watcher.close();
      assert.equal(watcher.closed, true);
      watcher.close();
      watcher.stop();
      assert.equal(watcher.ref(false), watcher);
      assert.throws(() => watcher.start(sys.READABLE), sysError('EBADF', 'uv_poll_start'));
      sys.ringEventfd(fd, 6);
      await sleep(50);
      assert.deepEqual(counts, [1]);
      assert.equal(sys.drainEventfd(fd), 6, 'the ring stayed in the counter');
    }),
  );

  test(
    'a watcher may close itself and its fd inside its callback',
    withNoFdLeak(async (scope) => {
      const fd = scope.own(sys.createEventfd());
      const counts: number[] = [];
      const watcher = watched(
        scope,
        sys.Watcher.eventfd(fd, (count) => {
          counts.push(count);
          watcher.close();
          scope.close(fd);
        }),
      );
      sys.ringEventfd(fd, 2);
      await waitFor(() => counts.length === 1, 'the call');
      await sleep(30);
      assert.deepEqual(counts, [2]);
      assert.ok(watcher.closed);
    }),
  );

  test(
    'after close, the fd number can be reused by a new eventfd and watcher',
    withNoFdLeak(async (scope) => {
      const numbers = new Set<number>();
      for (let round = 0; round < 5; round++) {
        const fd = scope.own(sys.createEventfd());
        numbers.add(fd);
        const counts: number[] = [];
        const watcher = watched(
          scope,
          sys.Watcher.eventfd(fd, (count) => counts.push(count)),
        );
        sys.ringEventfd(fd, round + 1);
        await waitFor(() => counts.length === 1, `round ${round}`);
        assert.deepEqual(counts, [round + 1]);
        watcher.close();
        sys.close(fd);
        scope.release(fd);
      }
      assert.equal(numbers.size, 1, 'the same fd number every round');
    }),
  );

  test(
    'microtasks queued in a callback run right after it, before the next callback and before setImmediate',
    withNoFdLeak(async (scope) => {
      const order: string[] = [];
      for (const name of ['a', 'b']) {
        const fd = scope.own(sys.createEventfd());
        watched(
          scope,
          sys.Watcher.eventfd(fd, () => {
            order.push(name);
            void Promise.resolve().then(() => order.push(`${name}.then`));
            setImmediate(() => order.push(`${name}.immediate`));
          }),
        );
        sys.ringEventfd(fd);
      }
      await waitFor(() => order.length === 6, 'both callbacks and their follow-ups');
      const [first, second] = [order[0]!, order[2]!];
      assert.deepEqual(new Set([first, second]), new Set(['a', 'b']), order.join(' '));
      assert.deepEqual(order.slice(0, 4), [first, `${first}.then`, second, `${second}.then`]);
      assert.deepEqual(new Set(order.slice(4)), new Set(['a.immediate', 'b.immediate']));
    }),
  );

  test(
    'a promise resolved inside a callback settles before the next poll',
    withNoFdLeak(async (scope) => {
      const fd = scope.own(sys.createEventfd());
      let resolveRing!: (count: number) => void;
      let rounds = 0;
      const log: string[] = [];
      watched(
        scope,
        sys.Watcher.eventfd(fd, (count) => {
          log.push(`ring ${count}`);
          resolveRing(count);
        }),
      );
      for (let round = 1; round <= 3; round++) {
        const rung = new Promise<number>((resolve) => {
          resolveRing = resolve;
        });
        sys.ringEventfd(fd, round);
        const count = await withTimeout(rung, `ring ${round}`);
        log.push(`then ${count}`);
        rounds++;
      }
      assert.equal(rounds, 3);
      assert.deepEqual(log, ['ring 1', 'then 1', 'ring 2', 'then 2', 'ring 3', 'then 3']);
    }),
  );

  test(
    'many watchers (more fds than select() handles) all fire',
    withNoFdLeak(async (scope) => {
      const limits = fs.readFileSync('/proc/self/limits', 'utf8');
      const soft = Number(/^Max open files\s+(\d+|unlimited)/m.exec(limits)?.[1] ?? 1024) || Infinity;
      const count = Math.min(2000, soft - openFdCount() - 64);
      assert.ok(count > 1100, `the fd limit (${soft}) leaves room for only ${count} eventfds`);
      const hits = new Array<number>(count).fill(0);
      const fds: number[] = [];
      for (let i = 0; i < count; i++) {
        const fd = scope.own(sys.createEventfd());
        fds.push(fd);
        watched(
          scope,
          sys.Watcher.eventfd(fd, (n) => {
            hits[i]! += n;
          }),
        );
      }
      assert.ok(Math.max(...fds) >= 1024, `fds above FD_SETSIZE: the highest is ${Math.max(...fds)}`);
      fds.forEach((fd, i) => sys.ringEventfd(fd, (i % 3) + 1));
      await waitFor(() => hits.every((n) => n > 0), `all ${count} watchers to fire`, 5000);
      await sleep(10);
      hits.forEach((n, i) => assert.equal(n, (i % 3) + 1, `watcher ${i}`));
    }),
  );

  test('ref(false) lets the process exit with an active watcher; by default it keeps it alive (child processes)', async () => {
    await warmUpChildProcesses();
    const unref = runNode(`
      const fd = sys.createEventfd();
      sys.Watcher.eventfd(fd, (count) => console.log('rang', count)).ref(false);
      setTimeout(() => sys.ringEventfd(fd, 2), 30);
      setTimeout(() => console.log('timer done'), 200);
    `);
    const kept = runNode(
      `
      const fd = sys.createEventfd();
      sys.Watcher.eventfd(fd, () => undefined);
      console.log('watching');
    `,
      3000,
    );
    const reffedAgain = runNode(
      `
      const fd = sys.createEventfd();
      sys.Watcher.eventfd(fd, () => undefined).ref(false).ref(true);
      console.log('watching');
    `,
      3000,
    );
    const [a, b, c] = await Promise.all([unref, kept, reffedAgain]);
    assert.equal(a.timedOut, false, explain(a));
    assert.equal(a.code, 0, explain(a));
    assert.deepEqual(
      a.stdout.split('\n').filter(Boolean).sort(),
      ['rang 2', 'timer done'],
      'an unreferenced watcher still fires while something else keeps the loop alive',
    );
    assert.equal(b.timedOut, true, `an active watcher keeps the process alive: ${explain(b)}`);
    assert.equal(b.stdout, 'watching\n');
    assert.equal(c.timedOut, true, `ref(true) undoes ref(false): ${explain(c)}`);
  });

  test('an active watcher without references is not garbage-collected; dropped stopped ones are (child process)', async () => {
    await warmUpChildProcesses();
    const result = await runNode(
      `
      const gcAndWait = async () => {
        for (let i = 0; i < 4; i++) { globalThis.gc(); await new Promise((resolve) => setImmediate(resolve)); }
      };
      let got = 0;
      const fd = sys.createEventfd();
      (() => { sys.Watcher.eventfd(fd, (count) => { got += count; }); })();
      const spare = [];
      for (let i = 0; i < 200; i++) spare.push(sys.createEventfd());
      (() => {
        spare.forEach((efd, i) => {
          const w = sys.Watcher.eventfd(efd, () => { throw new Error('a stopped watcher fired'); });
          if (i % 2) w.stop(); else w.close();
        });
      })();
      await gcAndWait();
      sys.ringEventfd(fd, 3);
      spare.forEach((efd) => sys.ringEventfd(efd));
      await new Promise((resolve) => setTimeout(resolve, 50));
      await gcAndWait();
      console.log(JSON.stringify({ got }));
      process.exit(0);
    `,
      10_000,
      ['--expose-gc'],
    );
    assert.equal(result.code, 0, explain(result));
    assert.deepEqual(JSON.parse(result.stdout), { got: 3 });
    assert.equal(result.stderr, '');
  });

  test('an exception thrown in a callback surfaces as an uncaught exception (child process)', {}, async () => {
    await warmUpChildProcesses();
    const result = await runNode(`
      const seen = [];
      process.on('uncaughtException', (error) => seen.push('uncaught: ' + error.message));
      const fd = sys.createEventfd();
      const watcher = sys.Watcher.eventfd(fd, () => { throw new Error('boom from the callback'); });
      sys.ringEventfd(fd);
      await new Promise((resolve) => setTimeout(resolve, 100));
      let later = 'ok';
      try { sys.drainEventfd(fd); } catch (error) { later = 'threw: ' + error.message; }
      try { watcher.close(); } catch {}
      console.log(JSON.stringify({ seen, later }));
      process.exit(0);
    `);
    assert.equal(result.code, 0, explain(result));
    assert.deepEqual(JSON.parse(result.stdout), { seen: ['uncaught: boom from the callback'], later: 'ok' });
  });
});

describe('Watcher relay', { timeout: 120_000 }, () => {
  test(
    'rings go straight to the target eventfd, counted by takeRelayed, without a callback',
    { timeout: 10_000 },
    withNoFdLeak(async (scope) => {
      const { fd, counts, watcher } = ringing(scope);
      const target = scope.own(sys.createEventfd());
      watcher.relayTo(target);
      sys.ringEventfd(fd, 3);
      await waitFor(() => watcher.takeRelayed() === 3, 'the relayed count');
      assert.equal(sys.drainEventfd(target), 3);
      assert.deepEqual(counts, []);
      watcher.relayTo(undefined);
      sys.ringEventfd(fd, 2);
      await waitFor(() => counts.length === 1, 'the callback again');
      assert.deepEqual(counts, [2]);
    }),
  );

  test(
    'the relay holds its own copy of the target: a new fd with the old number gets nothing',
    { timeout: 10_000 },
    withNoFdLeak(async (scope) => {
      const { fd, counts, watcher } = ringing(scope);
      const target = sys.createEventfd();
      watcher.relayTo(target);
      sys.close(target);
      const reused = scope.own(sys.createEventfd());
      assert.equal(reused, target, "the new eventfd took the closed one's number");
      sys.ringEventfd(fd, 4);
      await waitFor(() => watcher.takeRelayed() === 4, 'the ring relayed to the old eventfd');
      assert.equal(sys.drainEventfd(reused), 0, 'nothing reached the fd that reused the number');
      assert.deepEqual(counts, []);
    }),
  );

  test(
    'the copy is closed with the watcher, and when the relay ends',
    { timeout: 10_000 },
    withNoFdLeak((scope) => {
      const fd = scope.own(sys.createEventfd());
      const target = scope.own(sys.createEventfd());
      const before = openFdCount();
      const watcher = sys.Watcher.eventfd(fd, () => undefined);
      watcher.relayTo(target);
      assert.equal(openFdCount(), before + 1, 'one copy while relaying');
      watcher.relayTo(target);
      assert.equal(openFdCount(), before + 1, 'relaying again replaces the copy');
      watcher.relayTo(undefined);
      assert.equal(openFdCount(), before);
      watcher.relayTo(target);
      watcher.close();
      assert.equal(openFdCount(), before, 'closing the watcher closes the copy');
    }),
  );
});

describe('Watcher finalisation', { timeout: 120_000 }, () => {
  test('a closed watcher lets go of its callback, and a dropped closed watcher is finalised, even when its callback refers to it (child process)', {
    timeout: 20_000,
  }, async () => {
    await warmUpChildProcesses();
    const result = await runNode(
      `
      const gcAndWait = async () => {
        for (let i = 0; i < 6; i++) { globalThis.gc(); await new Promise((resolve) => setTimeout(resolve, 5)); }
      };
      const collected = new Set();
      const registry = new FinalizationRegistry((what) => collected.add(what));
      const fd = sys.createEventfd();
      // Kept: the watcher object stays reachable, closed; its callback must not.
      const kept = (() => {
        const callback = () => undefined;
        registry.register(callback, 'callback of a kept closed watcher');
        const watcher = sys.Watcher.eventfd(fd, callback);
        watcher.close();
        return watcher;
      })();
      // Dropped: the callback refers to the watcher (a peer object holding both).
      (() => {
        const peer = {};
        peer.watcher = sys.Watcher.eventfd(fd, () => peer.watcher.close());
        registry.register(peer.watcher, 'dropped closed watcher');
        peer.watcher.close();
      })();
      // Control: an open watcher is kept, callback and all.
      const open = (() => {
        const callback = () => undefined;
        registry.register(callback, 'callback of an open watcher');
        return sys.Watcher.eventfd(sys.createEventfd(), callback);
      })();
      await gcAndWait();
      console.log(JSON.stringify([...collected].sort()));
      void kept; void open;
      process.exit(0);
    `,
      15_000,
      ['--expose-gc'],
    );
    assert.equal(result.code, 0, explain(result));
    assert.deepEqual(JSON.parse(result.stdout), ['callback of a kept closed watcher', 'dropped closed watcher']);
  });
});
