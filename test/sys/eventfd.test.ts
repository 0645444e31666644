// The native eventfd functions: create, ring (eventfdWrite) and drain (eventfdRead).
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import * as sys from '../../src/sys/index.js';
import { fdFlags, fdTarget, O_CLOEXEC, O_NONBLOCK, waitFor, withNoFdLeak } from '../helpers/fds.js';
import {
  CHILD_WAIT_MS,
  freshPath,
  pythonSucceeded,
  socketPair,
  startPython,
  stopChild,
  sysError,
  typeError,
  warmUpChildProcesses,
} from './common.js';

before(() => warmUpChildProcesses());

const MAX_RING = Number.MAX_SAFE_INTEGER; // 2**53 - 1, the largest count a JS number holds exactly

describe('eventfd', { timeout: 120_000 }, () => {
  test(
    'createEventfd gives a non-blocking, close-on-exec eventfd with counter 0',
    withNoFdLeak((scope) => {
      const fd = scope.own(sys.createEventfd());
      assert.ok(Number.isInteger(fd) && fd > 2);
      assert.equal(fdTarget(fd), 'anon_inode:[eventfd]');
      assert.equal(fdFlags(fd) & O_NONBLOCK, O_NONBLOCK);
      assert.equal(fdFlags(fd) & O_CLOEXEC, O_CLOEXEC);
      assert.equal(sys.stat(fd).type, 'other');
      assert.equal(sys.drainEventfd(fd), 0);
      const other = scope.own(sys.createEventfd());
      assert.notEqual(other, fd);
    }),
  );

  test(
    'ring adds counts (default 1); drain returns the sum once, then 0',
    withNoFdLeak((scope) => {
      const fd = scope.own(sys.createEventfd());
      assert.equal(sys.ringEventfd(fd), true);
      assert.equal(sys.ringEventfd(fd, 2), true);
      assert.equal(sys.ringEventfd(fd, 10), true);
      assert.equal(sys.ringEventfd(fd, 1000), true);
      assert.equal(sys.drainEventfd(fd), 1013);
      assert.equal(sys.drainEventfd(fd), 0);
      assert.equal(sys.drainEventfd(fd), 0);
      sys.ringEventfd(fd, 42);
      assert.equal(sys.drainEventfd(fd), 42, 'usable again after a drain');
    }),
  );

  test(
    'eventfds are independent',
    withNoFdLeak((scope) => {
      const a = scope.own(sys.createEventfd());
      const b = scope.own(sys.createEventfd());
      sys.ringEventfd(a, 3);
      assert.equal(sys.drainEventfd(b), 0);
      assert.equal(sys.drainEventfd(a), 3);
    }),
  );

  test(
    'the counter is the kernel eventfd counter (cross-checked with plain read/write)',
    withNoFdLeak((scope) => {
      const fd = scope.own(sys.createEventfd());
      sys.ringEventfd(fd, 0x1234_5678_9a);
      const buffer = Buffer.alloc(8);
      assert.equal(fs.readSync(fd, buffer), 8);
      assert.equal(buffer.readBigUInt64LE(), 0x1234_5678_9an);
      assert.equal(sys.drainEventfd(fd), 0, 'the plain read reset it');
      buffer.writeBigUInt64LE(77n);
      assert.equal(fs.writeSync(fd, buffer), 8);
      assert.equal(sys.drainEventfd(fd), 77);
    }),
  );

  test(
    'the largest exact count is accepted; a full counter makes ring return false',
    withNoFdLeak((scope) => {
      const fd = scope.own(sys.createEventfd());
      assert.equal(sys.ringEventfd(fd, MAX_RING), true);
      assert.equal(sys.drainEventfd(fd), MAX_RING);
      // The counter holds up to 2**64 - 2: 2048 rings of 2**53 - 1 fit, the next does not.
      for (let i = 0; i < 2048; i++) assert.equal(sys.ringEventfd(fd, MAX_RING), true, `ring ${i}`);
      assert.equal(sys.ringEventfd(fd, MAX_RING), false);
      assert.equal(sys.ringEventfd(fd, 1), true, 'a small count still fits');
      const drained = sys.drainEventfd(fd);
      assert.ok(drained >= 2 ** 63 - 2 ** 11, `drained ${drained} (clamped to 2**63 - 1, as a double)`);
      assert.equal(sys.drainEventfd(fd), 0);
      assert.equal(sys.ringEventfd(fd, 5), true);
      assert.equal(sys.drainEventfd(fd), 5);
    }),
  );

  test(
    'counts that are not positive safe integers are TypeErrors',
    withNoFdLeak((scope) => {
      const fd = scope.own(sys.createEventfd());
      const ring = sys.ringEventfd as unknown as (fd: unknown, count?: unknown) => boolean;
      for (const count of [0, -1, 1.5, NaN, Infinity, 2 ** 53, '1', null]) {
        assert.throws(() => ring(fd, count), typeError, `count = ${String(count)}`);
      }
      assert.throws(() => ring('3', 1), typeError);
      assert.throws(() => ring(-1, 1), typeError);
      assert.throws(() => (sys.drainEventfd as unknown as (fd: unknown) => number)(undefined), typeError);
      assert.equal(sys.drainEventfd(fd), 0, 'none of them rang');
    }),
  );

  test(
    'ring on a closed fd throws EBADF',
    withNoFdLeak(() => {
      const fd = sys.createEventfd();
      sys.close(fd);
      assert.throws(() => sys.ringEventfd(fd), sysError('EBADF', 'write'));
    }),
  );

  test(
    'drain on a closed fd throws EBADF',
    {},
    withNoFdLeak(() => {
      const fd = sys.createEventfd();
      sys.close(fd);
      assert.throws(() => sys.drainEventfd(fd), sysError('EBADF', 'read'));
    }),
  );

  test(
    'drain never blocks, even on a blocking eventfd, and does not change its flags',
    withNoFdLeak(async (scope) => {
      // A blocking eventfd made by another process and passed over a socket.
      // Should a drain ever block, the child rings it after 3 s as a watchdog,
      // so this test fails instead of hanging.
      const path = freshPath('efd');
      const listener = scope.own(sys.listen(path));
      scope.defer(() => fs.unlinkSync(path));
      const python = startPython(
        [
          'import os, socket, sys',
          's = socket.socket(socket.AF_UNIX)',
          's.connect(sys.argv[1])',
          'efd = os.eventfd(0)',
          'socket.send_fds(s, [b"blocking"], [efd])',
          's.settimeout(3)',
          'try:',
          '    s.recv(1)',
          'except socket.timeout:',
          '    os.eventfd_write(efd, 1000000)',
          '    s.settimeout(None)',
          '    s.recv(1)',
        ].join('\n'),
        [path],
        15_000,
      );
      try {
        const server = scope.own(
          await waitFor(() => sys.accept(listener), 'the python child to connect', CHILD_WAIT_MS),
        );
        const got = await waitFor(() => sys.receive(server, 8), 'the blocking eventfd', CHILD_WAIT_MS);
        assert.equal(got.fds.length, 1);
        const fd = scope.own(got.fds[0]!);
        assert.equal(fdTarget(fd), 'anon_inode:[eventfd]');
        const flags = fdFlags(fd);
        assert.equal(flags & O_NONBLOCK, 0, 'the eventfd is blocking');
        const started = Date.now();
        assert.equal(sys.drainEventfd(fd), 0);
        assert.equal(sys.drainEventfd(fd), 0);
        assert.ok(Date.now() - started < 1000, 'drain returned at once');
        assert.equal(fdFlags(fd), flags, 'flags unchanged');
        sys.ringEventfd(fd, 4);
        assert.equal(sys.drainEventfd(fd), 4);
        assert.equal(sys.drainEventfd(fd), 0);
        assert.equal(fdFlags(fd), flags, 'flags unchanged');
        scope.close(server);
        await pythonSucceeded(python);
      } finally {
        await stopChild(python);
      }
    }),
  );
});

describe('an fd that is no eventfd', { timeout: 120_000 }, () => {
  test(
    'isEventfd: true for an eventfd and a received copy, false for a memfd or a socket, EBADF for a closed fd',
    { timeout: 10_000 },
    withNoFdLeak((scope) => {
      const efd = scope.own(sys.createEventfd());
      assert.equal(sys.isEventfd(efd), true);
      assert.equal(sys.isEventfd(scope.own(sys.memfdCreate('famez-not-eventfd'))), false);
      const pair = socketPair(scope);
      assert.equal(sys.isEventfd(pair.client), false);
      sys.send(pair.client, new Uint8Array(8), efd);
      assert.equal(sys.isEventfd(scope.own(sys.receive(pair.server, 8)!.fds[0]!)), true);
      const closed = sys.createEventfd();
      sys.close(closed);
      assert.throws(() => sys.isEventfd(closed), sysError('EBADF', 'readlink'));
      assert.throws(() => sys.isEventfd(-1), typeError);
    }),
  );

  test(
    'drain of a socket whose peer left (a read of 0 bytes) is EIO, not a made-up count',
    { timeout: 10_000 },
    withNoFdLeak((scope) => {
      const pair = socketPair(scope);
      sys.send(pair.client, new Uint8Array(3));
      scope.close(pair.client);
      assert.throws(() => sys.drainEventfd(pair.server), sysError('EIO', 'read'), 'a short read of 3 bytes');
      assert.throws(() => sys.drainEventfd(pair.server), sysError('EIO', 'read'), 'a read of 0 bytes at the end');
    }),
  );

  test(
    'an eventfd watcher on such an fd stops instead of calling back (or spinning) forever',
    { timeout: 10_000 },
    withNoFdLeak(async (scope) => {
      const pair = socketPair(scope);
      scope.close(pair.client);
      const counts: number[] = [];
      const watcher = sys.Watcher.eventfd(pair.server, (count) => counts.push(count));
      scope.defer(() => watcher.close());
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.deepEqual(counts, [], 'no ring reported from an fd that always reads 0 bytes');
    }),
  );
});
