// The native UNIX-socket functions: listen, accept, connect, close,
// peerCredentials, send and receive (with fd passing), on real fds.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import * as sys from '../../src/sys/index.js';
import { fdFlags, fdTarget, isOpen, O_CLOEXEC, O_NONBLOCK, waitFor, withNoFdLeak } from '../helpers/fds.js';
import {
  CHILD_WAIT_MS,
  freshPath,
  pattern,
  pythonSucceeded,
  socketPair,
  startPython,
  stopChild,
  sysError,
  typeError,
  warmUpChildProcesses,
} from './common.js';

before(() => warmUpChildProcesses());

function fileMode(path: string): number {
  return fs.statSync(path).mode & 0o7777;
}

/** The process umask, read without the deprecated argument-less call. */
function currentUmask(): number {
  const mask = process.umask(0o022);
  process.umask(mask);
  return mask;
}

function withUmask<T>(mask: number, fn: () => T): T {
  const old = process.umask(mask);
  try {
    return fn();
  } finally {
    process.umask(old);
  }
}

/** Receives one message, failing if nothing is waiting. */
function receiveNow(fd: sys.Fd, length: number): sys.Received {
  const got = sys.receive(fd, length);
  assert.ok(got !== null, 'a message was expected to be waiting');
  return got;
}

const NO_FD_MESSAGE = { fds: [], truncated: false };

describe('listen', { timeout: 120_000 }, () => {
  test(
    'creates the socket file with exactly the given mode, whatever the umask',
    withNoFdLeak((scope) => {
      const original = currentUmask();
      for (const umask of [0, 0o077, 0o022, 0o777]) {
        for (const mode of [0o600, 0o660, 0o666, 0o640, 0o700]) {
          const path = freshPath('mode');
          const fd = withUmask(umask, () => sys.listen(path, mode));
          scope.own(fd);
          const st = fs.statSync(path);
          assert.ok(st.isSocket(), `${path} is a socket`);
          assert.equal(
            st.mode & 0o7777,
            mode,
            `umask ${umask.toString(8)}, mode ${mode.toString(8)}: got ${(st.mode & 0o7777).toString(8)}`,
          );
          scope.close(fd);
          fs.unlinkSync(path);
        }
      }
      assert.equal(currentUmask(), original, 'umask restored');
    }),
  );

  test(
    'the socket file gets the given group before it listens',
    withNoFdLeak((scope) => {
      const path = freshPath('group');
      scope.own(sys.listen(path, 0o660, 65534));
      scope.defer(() => fs.unlinkSync(path));
      assert.equal(fs.statSync(path).gid, 65534);
      assert.equal(fileMode(path), 0o660);
    }),
  );

  test(
    'the default mode is 0600',
    withNoFdLeak((scope) => {
      const path = freshPath();
      scope.own(withUmask(0, () => sys.listen(path)));
      scope.defer(() => fs.unlinkSync(path));
      assert.equal(fileMode(path), 0o600);
    }),
  );

  test(
    'a listener accepts connections and its fds are non-blocking and close-on-exec',
    withNoFdLeak((scope) => {
      const pair = socketPair(scope);
      for (const fd of [pair.listener, pair.client, pair.server]) {
        const flags = fdFlags(fd);
        assert.equal(flags & O_NONBLOCK, O_NONBLOCK, `fd ${fd} is non-blocking`);
        assert.equal(flags & O_CLOEXEC, O_CLOEXEC, `fd ${fd} is close-on-exec`);
        assert.match(fdTarget(fd), /^socket:\[\d+\]$/);
        assert.equal(sys.stat(fd).type, 'socket');
      }
      assert.notEqual(pair.client, pair.server);
    }),
  );

  test(
    'an existing regular file is never replaced: EADDRINUSE and the file is untouched',
    withNoFdLeak(() => {
      const path = freshPath('file');
      fs.writeFileSync(path, 'keep me', { mode: 0o640 });
      fs.chmodSync(path, 0o640);
      const before = fs.statSync(path);
      assert.throws(() => sys.listen(path, 0o600), sysError('EADDRINUSE', 'bind'));
      const after = fs.statSync(path);
      assert.ok(after.isFile());
      assert.equal(after.ino, before.ino);
      assert.equal(after.mode, before.mode);
      assert.equal(fs.readFileSync(path, 'utf8'), 'keep me');
      fs.unlinkSync(path);
    }),
  );

  test(
    'a path where a listener lives is never taken over: EADDRINUSE and the first listener still works',
    withNoFdLeak((scope) => {
      const pair = socketPair(scope);
      const before = fs.statSync(pair.path);
      assert.throws(() => sys.listen(pair.path, 0o666), sysError('EADDRINUSE', 'bind'));
      const after = fs.statSync(pair.path);
      assert.equal(after.ino, before.ino);
      assert.equal(after.mode & 0o7777, 0o600, 'mode not changed by the failed listen');
      const client = scope.own(sys.connect(pair.path));
      const server = sys.accept(pair.listener);
      assert.ok(server !== null);
      scope.own(server);
      assert.equal(sys.send(client, pattern(8)), 8);
      assert.deepEqual(receiveNow(server, 8).bytes, pattern(8));
    }),
  );

  test(
    'a missing directory gives ENOENT, an over-long path ENAMETOOLONG',
    withNoFdLeak(() => {
      assert.throws(() => sys.listen(`${freshPath('nodir')}/socket`), sysError('ENOENT', 'bind'));
      assert.throws(() => sys.listen(`/tmp/${'x'.repeat(120)}`), sysError('ENAMETOOLONG', 'bind'));
      assert.throws(() => sys.connect(`/tmp/${'x'.repeat(120)}`), sysError('ENAMETOOLONG', 'connect'));
    }),
  );

  test(
    'bad arguments are TypeErrors',
    withNoFdLeak(() => {
      const listen = sys.listen as unknown as (...args: unknown[]) => number;
      assert.throws(() => listen(42), typeError);
      assert.throws(() => listen(freshPath(), '0600'), typeError);
      assert.throws(() => listen(freshPath(), 0o600, 'staff'), typeError);
      assert.throws(() => listen(freshPath(), 0o600, -1, 'many'), typeError);
      assert.throws(() => listen(`${freshPath()}\0tail`), typeError, 'an embedded NUL is refused');
      assert.throws(() => (sys.connect as unknown as (p: unknown) => number)(undefined), typeError);
    }),
  );
});

describe('accept and connect', { timeout: 120_000 }, () => {
  test(
    'accept returns null when no connection waits, then each waiting connection once',
    withNoFdLeak((scope) => {
      const path = freshPath();
      const listener = scope.own(sys.listen(path));
      scope.defer(() => fs.unlinkSync(path));
      assert.equal(sys.accept(listener), null);
      assert.equal(sys.accept(listener), null);
      const a = scope.own(sys.connect(path));
      const b = scope.own(sys.connect(path));
      const first = sys.accept(listener);
      const second = sys.accept(listener);
      assert.ok(first !== null && second !== null);
      scope.own(first);
      scope.own(second);
      assert.equal(sys.accept(listener), null);
      // The first accepted connection is the first one made.
      sys.send(a, pattern(8, 1));
      sys.send(b, pattern(8, 2));
      assert.deepEqual(receiveNow(first, 8).bytes, pattern(8, 1));
      assert.deepEqual(receiveNow(second, 8).bytes, pattern(8, 2));
    }),
  );

  test(
    'connect to a missing path throws ENOENT with code, errno, syscall and message',
    withNoFdLeak(() => {
      const path = freshPath('missing');
      let caught: unknown;
      try {
        sys.connect(path);
      } catch (error) {
        caught = error;
      }
      assert.ok(caught instanceof Error, 'an Error was thrown');
      assert.ok(sys.isSysError(caught, 'ENOENT'));
      assert.equal(caught.code, 'ENOENT');
      assert.equal(caught.errno, 2);
      assert.equal(caught.syscall, 'connect');
      assert.equal(caught.message, 'connect ENOENT: No such file or directory');
      assert.ok(!sys.isSysError(caught, 'EPERM'));
    }),
  );

  test(
    'connect to a stale socket file (listener closed, file left) throws ECONNREFUSED',
    withNoFdLeak(() => {
      const path = freshPath('stale');
      sys.close(sys.listen(path));
      assert.ok(fs.statSync(path).isSocket(), 'the socket file is still there');
      assert.throws(() => sys.connect(path), sysError('ECONNREFUSED', 'connect'));
      fs.unlinkSync(path);
    }),
  );

  test(
    'connect to a path that is not a socket throws ECONNREFUSED',
    withNoFdLeak(() => {
      const path = freshPath('plain');
      fs.writeFileSync(path, '');
      assert.throws(() => sys.connect(path), sysError('ECONNREFUSED', 'connect'));
      fs.unlinkSync(path);
    }),
  );

  test(
    'connect throws EAGAIN when the listen backlog is full',
    withNoFdLeak((scope) => {
      const path = freshPath('backlog');
      const listener = scope.own(sys.listen(path, 0o600, -1, 0));
      scope.defer(() => fs.unlinkSync(path));
      const made: number[] = [];
      let error: unknown;
      for (let i = 0; i < 16 && error === undefined; i++) {
        try {
          made.push(scope.own(sys.connect(path)));
        } catch (caught) {
          error = caught;
        }
      }
      assert.ok(made.length >= 1, 'the first connection fits');
      assert.ok(sys.isSysError(error, 'EAGAIN'), `backlog full: ${String(error)}`);
      assert.equal((error as sys.SysError).syscall, 'connect');
      // Accepting makes room again.
      let accepted: number | null;
      while ((accepted = sys.accept(listener)) !== null) scope.own(accepted);
      scope.own(sys.connect(path));
    }),
  );

  test(
    'accept on a socket that does not listen throws EINVAL, on a non-socket ENOTSOCK',
    withNoFdLeak((scope) => {
      const pair = socketPair(scope);
      assert.throws(() => sys.accept(pair.client), sysError('EINVAL', 'accept'));
      const efd = scope.own(sys.createEventfd());
      assert.throws(() => sys.accept(efd), sysError('ENOTSOCK', 'accept'));
    }),
  );
});

describe('close', { timeout: 120_000 }, () => {
  test(
    'close releases the fd; closing it again throws EBADF',
    withNoFdLeak(() => {
      const fd = sys.createEventfd();
      assert.ok(isOpen(fd));
      assert.equal(sys.close(fd), undefined);
      assert.ok(!isOpen(fd));
      assert.throws(() => sys.close(fd), sysError('EBADF', 'close'));
    }),
  );

  test(
    'closing one end gives the other end end-of-stream',
    withNoFdLeak((scope) => {
      const pair = socketPair(scope);
      sys.close(pair.client);
      scope.release(pair.client);
      assert.deepEqual(receiveNow(pair.server, 8), { bytes: new Uint8Array(0), ...NO_FD_MESSAGE });
    }),
  );
});

describe('peerCredentials', { timeout: 120_000 }, () => {
  test(
    'both ends of a connection within this process see this process',
    withNoFdLeak((scope) => {
      const pair = socketPair(scope);
      const me = { pid: process.pid, uid: process.getuid!(), gid: process.getgid!() };
      assert.deepEqual(sys.peerCredentials(pair.server), me);
      assert.deepEqual(sys.peerCredentials(pair.client), me);
    }),
  );

  test(
    'the server end of a connection from another process sees that process',
    withNoFdLeak(async (scope) => {
      const path = freshPath('cred');
      const listener = scope.own(sys.listen(path));
      scope.defer(() => fs.unlinkSync(path));
      const python = startPython(
        'import socket, sys\ns = socket.socket(socket.AF_UNIX)\ns.connect(sys.argv[1])\ns.recv(1)\n',
        [path],
      );
      try {
        const server = scope.own(
          await waitFor(() => sys.accept(listener), 'the python child to connect', CHILD_WAIT_MS),
        );
        assert.deepEqual(sys.peerCredentials(server), {
          pid: python.child.pid,
          uid: process.getuid!(),
          gid: process.getgid!(),
        });
        scope.close(server);
        await pythonSucceeded(python);
      } finally {
        await stopChild(python);
      }
    }),
  );

  test(
    'a non-socket throws ENOTSOCK, a closed fd EBADF',
    withNoFdLeak((scope) => {
      const efd = scope.own(sys.createEventfd());
      assert.throws(() => sys.peerCredentials(efd), sysError('ENOTSOCK', 'getsockopt'));
      const closed = sys.createEventfd();
      sys.close(closed);
      assert.throws(() => sys.peerCredentials(closed), sysError('EBADF', 'getsockopt'));
      assert.throws(() => (sys.peerCredentials as (fd: unknown) => unknown)('3'), typeError);
    }),
  );
});

describe('send and receive', { timeout: 120_000 }, () => {
  test(
    'an 8-byte message without an fd, both ways',
    withNoFdLeak((scope) => {
      const pair = socketPair(scope);
      assert.equal(sys.send(pair.client, pattern(8, 1)), 8);
      const got = receiveNow(pair.server, 8);
      assert.ok(got.bytes instanceof Uint8Array);
      assert.deepEqual(got, { bytes: pattern(8, 1), ...NO_FD_MESSAGE });
      assert.equal(sys.send(pair.server, pattern(8, 2), undefined), 8);
      assert.deepEqual(receiveNow(pair.client, 8), { bytes: pattern(8, 2), ...NO_FD_MESSAGE });
    }),
  );

  test(
    'sends exactly the bytes of a view (Buffer, subarray with an offset)',
    withNoFdLeak((scope) => {
      const pair = socketPair(scope);
      const whole = pattern(64);
      assert.equal(sys.send(pair.client, whole.subarray(10, 18)), 8);
      assert.deepEqual(receiveNow(pair.server, 8).bytes, whole.slice(10, 18));
      assert.equal(sys.send(pair.client, Buffer.from('famez-ok')), 8);
      assert.equal(Buffer.from(receiveNow(pair.server, 8).bytes).toString(), 'famez-ok');
    }),
  );

  test(
    'receive returns null when nothing is waiting, on both ends',
    withNoFdLeak((scope) => {
      const pair = socketPair(scope);
      assert.equal(sys.receive(pair.server, 8), null);
      assert.equal(sys.receive(pair.client, 8), null);
      sys.send(pair.client, pattern(8));
      receiveNow(pair.server, 8);
      assert.equal(sys.receive(pair.server, 8), null);
    }),
  );

  test(
    'receive asks for at most N bytes: a short read leaves the rest for the next one',
    withNoFdLeak((scope) => {
      const pair = socketPair(scope);
      sys.send(pair.client, pattern(12));
      assert.deepEqual(receiveNow(pair.server, 5).bytes, pattern(12).slice(0, 5));
      assert.deepEqual(receiveNow(pair.server, 100).bytes, pattern(12).slice(5));
      assert.equal(sys.receive(pair.server, 100), null);
    }),
  );

  test(
    'a message carrying an eventfd: ringing the received fd wakes the original',
    withNoFdLeak((scope) => {
      const pair = socketPair(scope);
      const original = scope.own(sys.createEventfd());
      assert.equal(sys.send(pair.client, pattern(8, 3), original), 8);
      const got = receiveNow(pair.server, 8);
      assert.deepEqual(got.bytes, pattern(8, 3));
      assert.equal(got.truncated, false);
      assert.equal(got.fds.length, 1);
      const received = scope.own(got.fds[0]!);
      assert.notEqual(received, original, 'a new fd number');
      assert.equal(fdTarget(received), 'anon_inode:[eventfd]');
      assert.equal(fdFlags(received) & O_CLOEXEC, O_CLOEXEC, 'received fds are close-on-exec');
      assert.equal(sys.ringEventfd(received, 5), true);
      assert.equal(sys.drainEventfd(original), 5);
      assert.equal(sys.drainEventfd(original), 0);
      sys.ringEventfd(original, 2);
      sys.ringEventfd(original, 3);
      assert.equal(sys.drainEventfd(received), 5, 'and the other way round');
      // The sender may close its copy; the received one stays usable.
      scope.close(original);
      sys.ringEventfd(received, 7);
      assert.equal(sys.drainEventfd(received), 7);
    }),
  );

  test(
    'a message carrying a memfd: the received fd maps the same bytes',
    withNoFdLeak((scope) => {
      const pair = socketPair(scope);
      const memfd = scope.own(sys.memfdCreate('famez-send'));
      sys.truncate(memfd, 8192);
      assert.equal(sys.send(pair.client, pattern(8), memfd), 8);
      const got = receiveNow(pair.server, 8);
      assert.equal(got.fds.length, 1);
      const received = scope.own(got.fds[0]!);
      assert.equal(sys.stat(received).size, 8192);
      const mine = sys.map(memfd, 0, 8192);
      const theirs = sys.map(received, 0, 8192);
      scope.defer(() => {
        sys.unmap(mine);
        sys.unmap(theirs);
      });
      new Uint8Array(mine).set(pattern(100, 9), 4000);
      assert.deepEqual(new Uint8Array(theirs, 4000, 100), pattern(100, 9));
      new Uint8Array(theirs)[8191] = 0xa5;
      assert.equal(new Uint8Array(mine)[8191], 0xa5);
    }),
  );

  test(
    'a message carrying a POSIX shm fd: the received fd maps the same bytes',
    withNoFdLeak((scope) => {
      const pair = socketPair(scope);
      const name = `/famez-test-${process.pid}-send`;
      const shm = scope.own(sys.shmOpen(name, { create: true, exclusive: true }));
      sys.shmUnlink(name);
      sys.truncate(shm, 4096);
      sys.send(pair.server, pattern(8), shm);
      const got = receiveNow(pair.client, 8);
      const received = scope.own(got.fds[0]!);
      const a = sys.map(shm, 0, 4096);
      const b = sys.map(received, 0, 4096);
      scope.defer(() => {
        sys.unmap(a);
        sys.unmap(b);
      });
      new Uint8Array(b).set(pattern(16, 4), 16);
      assert.deepEqual(new Uint8Array(a, 16, 16), pattern(16, 4));
    }),
  );

  test(
    'two 8-byte messages with one fd each arrive separately, each with its own fd',
    withNoFdLeak((scope) => {
      const pair = socketPair(scope);
      const first = scope.own(sys.createEventfd());
      const second = scope.own(sys.createEventfd());
      sys.send(pair.client, pattern(8, 1), first);
      sys.send(pair.client, pattern(8, 2), second);
      const a = receiveNow(pair.server, 8);
      const b = receiveNow(pair.server, 8);
      assert.equal(sys.receive(pair.server, 8), null);
      assert.deepEqual(a.bytes, pattern(8, 1));
      assert.deepEqual(b.bytes, pattern(8, 2));
      assert.equal(a.fds.length, 1);
      assert.equal(b.fds.length, 1);
      scope.own(a.fds[0]!);
      scope.own(b.fds[0]!);
      sys.ringEventfd(a.fds[0]!, 11);
      sys.ringEventfd(b.fds[0]!, 22);
      assert.equal(sys.drainEventfd(first), 11, 'the first message carried the first eventfd');
      assert.equal(sys.drainEventfd(second), 22, 'the second message carried the second eventfd');
    }),
  );

  test(
    "a message without an fd followed by one with an fd: the fd is not read with the first one's bytes",
    withNoFdLeak((scope) => {
      const pair = socketPair(scope);
      const efd = scope.own(sys.createEventfd());
      sys.send(pair.client, pattern(8, 1));
      sys.send(pair.client, pattern(8, 2), efd);
      sys.send(pair.client, pattern(8, 3));
      assert.deepEqual(receiveNow(pair.server, 8), { bytes: pattern(8, 1), ...NO_FD_MESSAGE });
      const second = receiveNow(pair.server, 8);
      assert.deepEqual(second.bytes, pattern(8, 2));
      assert.equal(second.fds.length, 1);
      scope.own(second.fds[0]!);
      assert.deepEqual(receiveNow(pair.server, 8), { bytes: pattern(8, 3), ...NO_FD_MESSAGE });
    }),
  );

  test(
    'end of stream after the peer closed: empty bytes, every time',
    withNoFdLeak((scope) => {
      const pair = socketPair(scope);
      sys.send(pair.client, pattern(8));
      scope.close(pair.client);
      assert.deepEqual(receiveNow(pair.server, 8).bytes, pattern(8), 'data sent before closing still arrives');
      for (let i = 0; i < 3; i++) {
        assert.deepEqual(receiveNow(pair.server, 8), { bytes: new Uint8Array(0), ...NO_FD_MESSAGE });
      }
    }),
  );

  test(
    'the peer closed without reading: receive throws ECONNRESET once, then end of stream',
    withNoFdLeak((scope) => {
      const pair = socketPair(scope);
      sys.send(pair.client, pattern(8));
      scope.close(pair.server);
      assert.throws(() => sys.receive(pair.client, 8), sysError('ECONNRESET', 'recvmsg'));
      assert.equal(receiveNow(pair.client, 8).bytes.length, 0);
    }),
  );

  test(
    'sending to a peer that closed throws EPIPE (no SIGPIPE)',
    withNoFdLeak((scope) => {
      const pair = socketPair(scope);
      scope.close(pair.server);
      let caught: unknown;
      try {
        sys.send(pair.client, pattern(8));
      } catch (error) {
        caught = error;
      }
      assert.ok(sys.isSysError(caught), `a system error: ${String(caught)}`);
      assert.ok(['EPIPE', 'ECONNRESET'].includes(caught.code), caught.code);
      assert.equal(caught.syscall, 'sendmsg');
      const efd = scope.own(sys.createEventfd());
      assert.throws(() => sys.send(pair.client, pattern(8), efd), { syscall: 'sendmsg', code: caught.code });
    }),
  );

  test(
    "a peer that never reads: send eventually returns 'would-block', and works again once the reader drains",
    withNoFdLeak((scope) => {
      const pair = socketPair(scope);
      const efd = scope.own(sys.createEventfd());
      let sent = 0;
      let last: number | 'would-block';
      while ((last = sys.send(pair.client, pattern(8, sent & 0xff), efd)) !== 'would-block') {
        assert.equal(last, 8);
        sent++;
        assert.ok(sent < 100_000, 'the socket never filled up');
      }
      assert.ok(sent >= 16, `only ${sent} messages fit`);
      assert.equal(sys.send(pair.client, pattern(8), efd), 'would-block', 'still full');
      assert.equal(sys.send(pair.client, pattern(8)), 'would-block', 'also without an fd');
      let received = 0;
      for (let got = sys.receive(pair.server, 8); got !== null; got = sys.receive(pair.server, 8)) {
        for (const fd of got.fds) sys.close(fd);
        assert.deepEqual(got.bytes, pattern(8, received & 0xff), `message ${received}`);
        assert.equal(got.fds.length, 1, `message ${received} has its fd`);
        received++;
      }
      assert.equal(received, sent, 'every message that was accepted arrives');
      assert.equal(sys.send(pair.client, pattern(8), efd), 8, 'room again');
      const got = receiveNow(pair.server, 8);
      assert.equal(got.fds.length, 1);
      sys.close(got.fds[0]!);
    }),
  );

  test(
    'a large send reports how many bytes went; receive returns at most the length asked for',
    withNoFdLeak((scope) => {
      const pair = socketPair(scope);
      const big = pattern(4 << 20);
      const sent = sys.send(pair.client, big);
      assert.ok(typeof sent === 'number' && sent > 0 && sent < big.length, `partial send: ${sent}`);
      let offset = 0;
      for (let got = sys.receive(pair.server, 65536); got !== null; got = sys.receive(pair.server, 65536)) {
        assert.ok(got.bytes.length > 0 && got.bytes.length <= 65536);
        assert.deepEqual(got.bytes, big.subarray(offset, offset + got.bytes.length));
        offset += got.bytes.length;
      }
      assert.equal(offset, sent);
    }),
  );

  test(
    'truncated is false when all fds fit (16) and true when more arrive (17, 20); the fds that fit are returned',
    withNoFdLeak(async (scope) => {
      const path = freshPath('py');
      const listener = scope.own(sys.listen(path));
      scope.defer(() => fs.unlinkSync(path));
      const program = [
        'import os, socket, sys',
        's = socket.socket(socket.AF_UNIX)',
        's.connect(sys.argv[1])',
        'fds = [os.open("/dev/null", os.O_RDONLY) for _ in range(int(sys.argv[2]))]',
        'socket.send_fds(s, [b"fdsfdsfd"], fds)',
        's.recv(1)',
      ].join('\n');
      for (const [count, truncated] of [
        [1, false],
        [16, false],
        [17, true],
        [20, true],
      ] as const) {
        const python = startPython(program, [path, String(count)]);
        try {
          const server = scope.own(
            await waitFor(() => sys.accept(listener), 'the python child to connect', CHILD_WAIT_MS),
          );
          const got = await waitFor(() => sys.receive(server, 8), `the message with ${count} fds`, CHILD_WAIT_MS);
          for (const fd of got.fds) scope.own(fd);
          assert.equal(Buffer.from(got.bytes).toString(), 'fdsfdsfd');
          assert.equal(got.truncated, truncated, `${count} fds: truncated`);
          assert.equal(got.fds.length, Math.min(count, 16), `${count} fds: how many arrived`);
          assert.equal(new Set(got.fds).size, got.fds.length, 'distinct fds');
          for (const fd of got.fds) {
            assert.equal(fdTarget(fd), '/dev/null');
            assert.equal(fdFlags(fd) & O_CLOEXEC, O_CLOEXEC);
          }
          for (const fd of got.fds) scope.close(fd);
          scope.close(server);
          await pythonSucceeded(python);
        } finally {
          await stopChild(python);
        }
      }
    }),
  );

  test(
    'bad arguments are TypeErrors',
    withNoFdLeak((scope) => {
      const pair = socketPair(scope);
      const send = sys.send as unknown as (...args: unknown[]) => unknown;
      const receive = sys.receive as unknown as (...args: unknown[]) => unknown;
      for (const bytes of [
        'famez-ok',
        [1, 2, 3],
        new ArrayBuffer(8),
        new DataView(new ArrayBuffer(8)),
        new Int8Array(8),
        new Uint8ClampedArray(8),
        new Uint16Array(4),
        null,
        undefined,
      ]) {
        assert.throws(() => send(pair.client, bytes), typeError, `bytes = ${Object.prototype.toString.call(bytes)}`);
      }
      for (const fd of [-1, '3', null, 2 ** 31, 2 ** 40]) {
        assert.throws(() => send(fd, pattern(8)), typeError, `fd = ${String(fd)}`);
        assert.throws(() => receive(fd, 8), typeError, `fd = ${String(fd)}`);
      }
      assert.throws(() => send(pair.client, pattern(8), '3'), typeError, 'passFd must be a number');
      for (const length of [0, -1, 65537, '8', undefined]) {
        assert.throws(() => receive(pair.server, length), typeError, `length = ${String(length)}`);
      }
      assert.equal(sys.receive(pair.server, 65536), null, 'the largest length is accepted');
      assert.equal(sys.receive(pair.server, 1), null, 'the smallest length is accepted');
      assert.equal(sys.receive(pair.client, 8), null, 'nothing was sent by the failed calls');
    }),
  );

  test(
    'passing an fd that is not open throws EBADF and sends nothing',
    withNoFdLeak((scope) => {
      const pair = socketPair(scope);
      const closed = sys.createEventfd();
      sys.close(closed);
      assert.throws(() => sys.send(pair.client, pattern(8), closed), sysError('EBADF', 'sendmsg'));
      assert.equal(sys.receive(pair.server, 8), null);
    }),
  );

  test(
    'operations on a closed fd throw EBADF',
    withNoFdLeak((scope) => {
      const pair = socketPair(scope);
      for (const fd of [pair.client, pair.listener]) {
        sys.close(fd);
        scope.release(fd);
        assert.ok(!isOpen(fd));
      }
      assert.throws(() => sys.send(pair.client, pattern(8)), sysError('EBADF', 'sendmsg'));
      assert.throws(() => sys.receive(pair.client, 8), sysError('EBADF', 'recvmsg'));
      assert.throws(() => sys.accept(pair.listener), sysError('EBADF', 'accept'));
      assert.throws(() => sys.peerCredentials(pair.client), sysError('EBADF', 'getsockopt'));
      assert.throws(() => sys.close(pair.client), sysError('EBADF', 'close'));
    }),
  );

  test(
    'send and receive on a non-socket throw ENOTSOCK',
    withNoFdLeak((scope) => {
      const efd = scope.own(sys.createEventfd());
      assert.throws(() => sys.send(efd, pattern(8)), sysError('ENOTSOCK', 'sendmsg'));
      assert.throws(() => sys.receive(efd, 8), sysError('ENOTSOCK', 'recvmsg'));
    }),
  );

  test(
    'fd (and mask) arguments that are not non-negative int32 integers are TypeErrors',
    {},
    withNoFdLeak((scope) => {
      const pair = socketPair(scope);
      const efd = scope.own(sys.createEventfd());
      const wrong: string[] = [];
      const expectTypeError = (what: string, fn: () => unknown): void => {
        try {
          fn();
          wrong.push(`${what} did not throw`);
        } catch (error) {
          if (!(error instanceof TypeError)) wrong.push(`${what} threw ${String(error)}`);
        }
      };
      // fstat is harmless whichever fd it ends up looking at.
      expectTypeError('stat(1.5)', () => sys.stat(1.5));
      expectTypeError('stat(NaN)', () => sys.stat(NaN));
      expectTypeError('stat(Infinity)', () => sys.stat(Infinity));
      expectTypeError(`send(passFd = ${efd} + 0.5)`, () => sys.send(pair.client, pattern(8), efd + 0.5));
      expectTypeError(`send(passFd = 2**32 + ${efd})`, () => sys.send(pair.client, pattern(8), 2 ** 32 + efd));
      const watcher = sys.Watcher.fd(efd, () => undefined);
      scope.defer(() => watcher.close());
      expectTypeError('Watcher.start(1.5)', () => watcher.start(1.5));
      // Whatever the wrong calls sent is drained, so that no fd is left behind.
      for (let got = sys.receive(pair.server, 8); got !== null; got = sys.receive(pair.server, 8)) {
        wrong.push(`a message arrived carrying ${got.fds.length} fd(s)`);
        for (const fd of got.fds) sys.close(fd);
      }
      assert.deepEqual(wrong, []);
    }),
  );
});
