// The native shared-memory, file and mapping functions: shmOpen, shmUnlink,
// memfdCreate, openFile, openInDirectory, truncate, allocate, stat, fsync,
// map, unmap and msync.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as sys from '../../src/sys/index.js';
import { fdFlags, fdTarget, O_ACCMODE, O_CLOEXEC, withNoFdLeak, type FdScope } from '../helpers/fds.js';
import {
  explain,
  pattern,
  runNode,
  scratchDir,
  shmName,
  socketPair,
  sysError,
  typeError,
  warmUpChildProcesses,
} from './common.js';

before(() => warmUpChildProcesses());

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;
/** A multiple of every page size Linux uses (4 KiB, 16 KiB, 64 KiB). */
const BIG_PAGE = 64 * KiB;

/** pread through Node's fs, independent of the code under test. */
function pread(fd: number, length: number, position: number): Uint8Array {
  const buffer = Buffer.alloc(length);
  assert.equal(fs.readSync(fd, buffer, 0, length, position), length);
  return new Uint8Array(buffer);
}

function pwrite(fd: number, bytes: Uint8Array, position: number): void {
  assert.equal(fs.writeSync(fd, bytes, 0, bytes.length, position), bytes.length);
}

/** Maps and unmaps after the test. */
function mapped(scope: FdScope, fd: number, offset: number, length: number, writable = true): ArrayBuffer {
  const buffer = sys.map(fd, offset, length, writable);
  scope.defer(() => sys.unmap(buffer));
  return buffer;
}

/** How many lines of /proc/self/maps name `what`. */
function mappingsOf(what: string): number {
  return fs
    .readFileSync('/proc/self/maps', 'utf8')
    .split('\n')
    .filter((line) => line.includes(what)).length;
}

function newDir(): string {
  return fs.mkdtempSync(path.join(scratchDir(), 'dir-'));
}

describe('POSIX shared memory', { timeout: 120_000 }, () => {
  test(
    'shmOpen create + exclusive makes the object with the mode; a second exclusive create is EEXIST',
    withNoFdLeak((scope) => {
      const name = shmName(scope);
      const fd = scope.own(sys.shmOpen(name, { create: true, exclusive: true }, 0o600));
      const file = `/dev/shm${name}`;
      assert.ok(fs.statSync(file).isFile());
      assert.equal(fs.statSync(file).mode & 0o777, 0o600);
      assert.equal(fdFlags(fd) & O_CLOEXEC, O_CLOEXEC);
      assert.equal(fdFlags(fd) & O_ACCMODE, fs.constants.O_RDWR);
      assert.deepEqual(sys.stat(fd), { size: 0, allocated: 0, type: 'file' });
      assert.throws(() => sys.shmOpen(name, { create: true, exclusive: true }), sysError('EEXIST', 'shm_open'));
      // Without exclusive, or without create, the existing object is opened.
      sys.truncate(fd, 4096);
      const again = scope.own(sys.shmOpen(name, { create: true }));
      const plain = scope.own(sys.shmOpen(name, {}));
      assert.equal(sys.stat(again).size, 4096);
      assert.equal(sys.stat(plain).size, 4096);
    }),
  );

  test(
    'the default mode is 0600',
    withNoFdLeak((scope) => {
      const name = shmName(scope);
      scope.own(sys.shmOpen(name, { create: true }));
      assert.equal(fs.statSync(`/dev/shm${name}`).mode & 0o777, 0o600);
    }),
  );

  test(
    'shmUnlink removes the name; opening it again is ENOENT; open fds stay valid',
    withNoFdLeak((scope) => {
      const name = shmName(scope);
      const fd = scope.own(sys.shmOpen(name, { create: true, exclusive: true }));
      sys.truncate(fd, 8192);
      pwrite(fd, pattern(16), 100);
      assert.equal(sys.shmUnlink(name), undefined);
      assert.ok(!fs.existsSync(`/dev/shm${name}`));
      assert.throws(() => sys.shmOpen(name, {}), sysError('ENOENT', 'shm_open'));
      assert.throws(() => sys.shmUnlink(name), sysError('ENOENT', 'shm_unlink'));
      assert.equal(sys.stat(fd).size, 8192);
      assert.deepEqual(pread(fd, 16, 100), pattern(16));
      // The name is free again.
      scope.own(sys.shmOpen(name, { create: true, exclusive: true }));
    }),
  );

  test(
    'two opens of one name share memory',
    withNoFdLeak((scope) => {
      const name = shmName(scope);
      const a = scope.own(sys.shmOpen(name, { create: true, exclusive: true }));
      const b = scope.own(sys.shmOpen(name, {}));
      sys.truncate(a, BIG_PAGE);
      const ma = mapped(scope, a, 0, BIG_PAGE);
      const mb = mapped(scope, b, 0, BIG_PAGE);
      new Uint8Array(ma).set(pattern(64, 5), 1000);
      assert.deepEqual(new Uint8Array(mb, 1000, 64), pattern(64, 5));
    }),
  );

  test(
    'a read-only open cannot be mapped writable (EACCES) but maps read-only',
    withNoFdLeak((scope) => {
      const name = shmName(scope);
      const rw = scope.own(sys.shmOpen(name, { create: true, exclusive: true }));
      sys.truncate(rw, 4096);
      pwrite(rw, pattern(32, 1), 0);
      const ro = scope.own(sys.shmOpen(name, { readOnly: true }));
      assert.equal(fdFlags(ro) & O_ACCMODE, fs.constants.O_RDONLY);
      assert.throws(() => sys.map(ro, 0, 4096, true), sysError('EACCES', 'mmap'));
      const view = mapped(scope, ro, 0, 4096, false);
      assert.deepEqual(new Uint8Array(view, 0, 32), pattern(32, 1));
      assert.throws(() => sys.truncate(ro, 8192), { syscall: 'ftruncate' });
    }),
  );

  test(
    'bad names and arguments',
    withNoFdLeak(() => {
      assert.throws(
        () => sys.shmOpen(`/famez-test-${process.pid}/sub`, { create: true }),
        sysError('EINVAL', 'shm_open'),
      );
      const shmOpen = sys.shmOpen as unknown as (...args: unknown[]) => number;
      assert.throws(() => shmOpen(42, {}), typeError);
      assert.throws(() => shmOpen('/famez-x', 'rw'), typeError);
      assert.throws(() => shmOpen('/famez-x', {}, '0600'), typeError);
      assert.throws(() => shmOpen(`/${'x'.repeat(300)}`, {}), typeError, 'longer than NAME_MAX');
      assert.throws(() => (sys.shmUnlink as unknown as (n: unknown) => void)(undefined), typeError);
    }),
  );
});

describe('memfd and files', { timeout: 120_000 }, () => {
  test(
    'memfdCreate gives an empty, close-on-exec, anonymous file',
    withNoFdLeak((scope) => {
      const fd = scope.own(sys.memfdCreate('famez-memfd'));
      assert.equal(fdTarget(fd), '/memfd:famez-memfd (deleted)');
      assert.equal(fdFlags(fd) & O_CLOEXEC, O_CLOEXEC);
      assert.equal(fdFlags(fd) & O_ACCMODE, fs.constants.O_RDWR);
      assert.deepEqual(sys.stat(fd), { size: 0, allocated: 0, type: 'file' });
      sys.truncate(fd, 12345);
      assert.equal(sys.stat(fd).size, 12345);
      pwrite(fd, pattern(10), 12000);
      assert.deepEqual(pread(fd, 10, 12000), pattern(10));
      assert.throws(() => sys.memfdCreate('x'.repeat(300)), typeError);
    }),
  );

  test(
    'openFile creates a file with the mode; exclusive refuses an existing one; ENOENT without create',
    withNoFdLeak((scope) => {
      const dir = newDir();
      const file = path.join(dir, 'backing');
      assert.throws(() => sys.openFile(file, {}), sysError('ENOENT', 'open'));
      const fd = scope.own(sys.openFile(file, { create: true, exclusive: true }, 0o640));
      assert.equal(fs.statSync(file).mode & 0o777 & ~0o640, 0, 'no bits beyond the mode');
      assert.equal(fdFlags(fd) & O_CLOEXEC, O_CLOEXEC);
      assert.deepEqual(sys.stat(fd), { size: 0, allocated: 0, type: 'file' });
      assert.throws(() => sys.openFile(file, { create: true, exclusive: true }), sysError('EEXIST', 'open'));
      pwrite(fd, Buffer.from('famez file'), 0);
      assert.equal(fs.readFileSync(file, 'utf8'), 'famez file');
      const again = scope.own(sys.openFile(file, {}));
      assert.deepEqual(pread(again, 10, 0), new Uint8Array(Buffer.from('famez file')));
      const ro = scope.own(sys.openFile(file, { readOnly: true }));
      assert.equal(fdFlags(ro) & O_ACCMODE, fs.constants.O_RDONLY);
      assert.throws(() => fs.writeSync(ro, 'x'), { code: 'EBADF' });
      assert.throws(() => sys.map(ro, 0, 10, true), sysError('EACCES', 'mmap'));
      assert.throws(() => sys.openFile(dir, {}), sysError('EISDIR', 'open'));
      fs.rmSync(dir, { recursive: true });
    }),
  );

  test(
    'openFile mode 0600 and 0640 under umask 0',
    withNoFdLeak((scope) => {
      const dir = newDir();
      const old = process.umask(0);
      try {
        for (const mode of [0o600, 0o640, 0o604]) {
          const file = path.join(dir, `m${mode.toString(8)}`);
          scope.own(sys.openFile(file, { create: true }, mode));
          assert.equal(fs.statSync(file).mode & 0o777, mode);
        }
      } finally {
        process.umask(old);
      }
      const file = path.join(dir, 'default');
      scope.own(sys.openFile(file, { create: true }));
      assert.equal(fs.statSync(file).mode & 0o777, 0o600, 'the default mode is 0600');
    }),
  );

  test(
    'openInDirectory gives a usable file and leaves nothing in the directory',
    withNoFdLeak((scope) => {
      const dir = newDir();
      const fd = scope.own(sys.openInDirectory(dir));
      assert.deepEqual(fs.readdirSync(dir), []);
      assert.match(fdTarget(fd), new RegExp(`^${dir}/famez\\.\\w{6} \\(deleted\\)$`));
      assert.equal(fdFlags(fd) & O_CLOEXEC, O_CLOEXEC);
      assert.equal(sys.stat(fd).type, 'file');
      sys.truncate(fd, BIG_PAGE);
      const view = mapped(scope, fd, 0, BIG_PAGE);
      new Uint8Array(view).set(pattern(8, 2), 8);
      assert.deepEqual(pread(fd, 8, 8), pattern(8, 2));
      const second = scope.own(sys.openInDirectory(dir));
      assert.notEqual(fdTarget(second), fdTarget(fd), 'a new file each time');
      assert.deepEqual(fs.readdirSync(dir), []);
      assert.throws(() => sys.openInDirectory(path.join(dir, 'missing')), sysError('ENOENT', 'mkostemp'));
      assert.throws(() => (sys.openInDirectory as unknown as (d: unknown) => number)(7), typeError);
      fs.rmdirSync(dir);
    }),
  );

  test(
    'truncate sets the size (up and down); stat reports it',
    withNoFdLeak((scope) => {
      const fd = scope.own(sys.memfdCreate('famez-truncate'));
      for (const size of [1, 4096, 100_000, 3, 0, 2 * MiB]) {
        assert.equal(sys.truncate(fd, size), undefined);
        assert.equal(sys.stat(fd).size, size);
        assert.equal(fs.fstatSync(fd).size, size);
      }
      const truncate = sys.truncate as unknown as (fd: unknown, size: unknown) => void;
      for (const size of [-1, 1.5, NaN, '10']) assert.throws(() => truncate(fd, size), typeError, String(size));
      const efd = scope.own(sys.createEventfd());
      assert.throws(() => sys.truncate(efd, 10), sysError('EINVAL', 'ftruncate'));
    }),
  );

  test(
    'a sparse file: truncate to 1 GiB allocates almost nothing; allocate makes it grow',
    withNoFdLeak((scope) => {
      const dir = newDir();
      const fd = scope.own(sys.openFile(path.join(dir, 'sparse'), { create: true }));
      sys.truncate(fd, GiB);
      const sparse = sys.stat(fd);
      assert.equal(sparse.size, GiB);
      assert.ok(sparse.allocated < MiB, `allocated ${sparse.allocated} of a sparse 1 GiB file`);
      assert.equal(sys.allocate(fd, 0, 4 * MiB), undefined);
      const allocated = sys.stat(fd);
      assert.equal(allocated.size, GiB, 'allocate inside the file keeps the size');
      assert.ok(allocated.allocated >= 4 * MiB, `allocated ${allocated.allocated} after allocating 4 MiB`);
      assert.ok(allocated.allocated < 64 * MiB, `allocated ${allocated.allocated}: only what was asked for`);
      assert.equal(allocated.allocated, fs.fstatSync(fd).blocks * 512);
      sys.allocate(fd, GiB, MiB);
      assert.equal(sys.stat(fd).size, GiB + MiB, 'allocate beyond the end extends the file');
      fs.rmSync(dir, { recursive: true });
    }),
  );

  test(
    'allocate on a memfd; allocate errors',
    withNoFdLeak((scope) => {
      const fd = scope.own(sys.memfdCreate('famez-allocate'));
      sys.truncate(fd, 16 * MiB);
      assert.equal(sys.stat(fd).allocated, 0);
      sys.allocate(fd, 0, 2 * MiB);
      assert.ok(sys.stat(fd).allocated >= 2 * MiB);
      assert.throws(() => sys.allocate(fd, 0, 0), sysError('EINVAL', 'fallocate'));
      const efd = scope.own(sys.createEventfd());
      assert.throws(() => sys.allocate(efd, 0, 4096), sysError('ENODEV', 'fallocate'));
      const allocate = sys.allocate as unknown as (...args: unknown[]) => void;
      assert.throws(() => allocate(fd, -1, 10), typeError);
      assert.throws(() => allocate(fd, 0, '10'), typeError);
    }),
  );

  test(
    'stat tells files, sockets and other fds apart',
    withNoFdLeak((scope) => {
      const pair = socketPair(scope);
      const efd = scope.own(sys.createEventfd());
      const memfd = scope.own(sys.memfdCreate('famez-stat'));
      assert.equal(sys.stat(pair.listener).type, 'socket');
      assert.equal(sys.stat(pair.client).type, 'socket');
      assert.equal(sys.stat(efd).type, 'other');
      assert.equal(sys.stat(memfd).type, 'file');
      const closed = sys.createEventfd();
      sys.close(closed);
      assert.throws(() => sys.stat(closed), sysError('EBADF', 'fstat'));
    }),
  );

  test(
    'fsync works on a file and a memfd, is a no-op on an eventfd, EBADF on a closed fd',
    withNoFdLeak((scope) => {
      const dir = newDir();
      const file = path.join(dir, 'synced');
      const fd = scope.own(sys.openFile(file, { create: true }));
      pwrite(fd, Buffer.from('durable'), 0);
      assert.equal(sys.fsync(fd), undefined);
      assert.equal(fs.readFileSync(file, 'utf8'), 'durable');
      sys.fsync(scope.own(sys.memfdCreate('famez-fsync')));
      sys.fsync(scope.own(sys.createEventfd()));
      const closed = sys.createEventfd();
      sys.close(closed);
      assert.throws(() => sys.fsync(closed), sysError('EBADF', 'fsync'));
      fs.rmSync(dir, { recursive: true });
    }),
  );
});

describe('map, unmap and msync', { timeout: 120_000 }, () => {
  test(
    'a mapping sees the file bytes and writes through to the file',
    withNoFdLeak((scope) => {
      const fd = scope.own(sys.memfdCreate('famez-map'));
      sys.truncate(fd, 4 * BIG_PAGE);
      pwrite(fd, pattern(256, 1), 0);
      const buffer = mapped(scope, fd, 0, 4 * BIG_PAGE);
      assert.ok(buffer instanceof ArrayBuffer);
      assert.equal(buffer.byteLength, 4 * BIG_PAGE);
      const bytes = new Uint8Array(buffer);
      assert.deepEqual(bytes.subarray(0, 256), pattern(256, 1));
      bytes.set(pattern(300, 2), 3 * BIG_PAGE + 5);
      assert.deepEqual(pread(fd, 300, 3 * BIG_PAGE + 5), pattern(300, 2));
      assert.equal(bytes[4 * BIG_PAGE - 1], 0);
    }),
  );

  test(
    'a window at a page-aligned offset and at an unaligned offset sees the right bytes',
    withNoFdLeak((scope) => {
      const fd = scope.own(sys.memfdCreate('famez-window'));
      const size = 8 * BIG_PAGE;
      sys.truncate(fd, size);
      const whole = pattern(size, 3);
      pwrite(fd, whole, 0);
      for (const [offset, length] of [
        [BIG_PAGE, BIG_PAGE],
        [3 * BIG_PAGE, 2 * BIG_PAGE],
        [BIG_PAGE + 4095, 1000],
        [5 * BIG_PAGE - 1, 2],
        [1, size - 1],
        [7, 1],
        [4096, 4096],
        [6 * BIG_PAGE + 12345, BIG_PAGE + 3],
      ] as const) {
        const window = sys.map(fd, offset, length);
        try {
          assert.equal(window.byteLength, length);
          assert.deepEqual(
            new Uint8Array(window),
            whole.subarray(offset, offset + length),
            `window ${offset}+${length}`,
          );
          // And a write through the window lands at that offset of the file.
          new Uint8Array(window)[0] = 0xee;
          assert.deepEqual(pread(fd, 1, offset), new Uint8Array([0xee]));
          new Uint8Array(window)[length - 1] = 0xdd;
          assert.deepEqual(pread(fd, 1, offset + length - 1), new Uint8Array([0xdd]));
          pwrite(fd, whole.subarray(offset, offset + length), offset);
        } finally {
          sys.unmap(window);
        }
      }
    }),
  );

  test(
    'two mappings of one fd share their bytes',
    withNoFdLeak((scope) => {
      const fd = scope.own(sys.memfdCreate('famez-share'));
      sys.truncate(fd, 2 * BIG_PAGE);
      const a = new Uint8Array(mapped(scope, fd, 0, 2 * BIG_PAGE));
      const b = new Uint8Array(mapped(scope, fd, 0, 2 * BIG_PAGE));
      const tail = new Uint8Array(mapped(scope, fd, BIG_PAGE + 100, 200));
      a.set(pattern(64, 7), 10);
      assert.deepEqual(b.subarray(10, 74), pattern(64, 7));
      b[BIG_PAGE + 150] = 0x5a;
      assert.equal(a[BIG_PAGE + 150], 0x5a);
      assert.equal(tail[50], 0x5a);
      tail[199] = 0x77;
      assert.equal(a[BIG_PAGE + 299], 0x77);
    }),
  );

  test(
    'a read-only mapping sees writes made through a writable one',
    withNoFdLeak((scope) => {
      const fd = scope.own(sys.memfdCreate('famez-ro'));
      sys.truncate(fd, BIG_PAGE);
      const ro = new Uint8Array(mapped(scope, fd, 0, BIG_PAGE, false));
      const rw = new Uint8Array(mapped(scope, fd, 0, BIG_PAGE, true));
      assert.equal(ro.length, BIG_PAGE);
      rw.set(pattern(32, 8), 64);
      assert.deepEqual(ro.subarray(64, 96), pattern(32, 8));
    }),
  );

  test('writing through a read-only mapping is a fault (child process)', async () => {
    await warmUpChildProcesses();
    const result = await runNode(`
      const fd = sys.memfdCreate('famez-ro-child');
      sys.truncate(fd, 4096);
      const view = new Uint8Array(sys.map(fd, 0, 4096, false));
      console.log('mapped', view[0]);
      view[0] = 1;
      console.log('wrote');
    `);
    assert.match(result.stdout, /mapped 0/, explain(result));
    assert.doesNotMatch(result.stdout, /wrote/, explain(result));
    assert.ok(result.signal === 'SIGSEGV' || result.signal === 'SIGBUS', explain(result));
  });

  test(
    'unmap detaches the buffer and removes the mapping; a second unmap is harmless',
    withNoFdLeak((scope) => {
      const fd = scope.own(sys.memfdCreate('famez-unmap-check'));
      sys.truncate(fd, BIG_PAGE);
      const before = mappingsOf('famez-unmap-check');
      const buffer = sys.map(fd, 0, BIG_PAGE);
      const view = new Uint8Array(buffer);
      view.set(pattern(16, 6));
      assert.equal(mappingsOf('famez-unmap-check'), before + 1);
      assert.equal(sys.unmap(buffer), undefined);
      assert.equal(buffer.byteLength, 0);
      assert.equal(view.length, 0, 'views see a detached buffer');
      assert.equal(view[0], undefined);
      assert.equal(mappingsOf('famez-unmap-check'), before, 'the file is no longer mapped');
      assert.equal(sys.unmap(buffer), undefined);
      assert.equal(sys.msync(buffer), undefined, 'msync of a detached buffer does nothing');
      assert.deepEqual(pread(fd, 16, 0), pattern(16, 6), 'the bytes stay in the file');
      const unaligned = sys.map(fd, 123, 1000);
      sys.unmap(unaligned);
      assert.equal(unaligned.byteLength, 0);
      assert.equal(mappingsOf('famez-unmap-check'), before);
    }),
  );

  test(
    'map errors: length 0 and more than MAX_WINDOW are EINVAL; non-files ENODEV; closed fds EBADF',
    withNoFdLeak((scope) => {
      const fd = scope.own(sys.memfdCreate('famez-map-errors'));
      sys.truncate(fd, BIG_PAGE);
      assert.throws(() => sys.map(fd, 0, 0), sysError('EINVAL', 'mmap'));
      assert.throws(() => sys.map(fd, 0, sys.MAX_WINDOW + 1), sysError('EINVAL', 'mmap'));
      assert.throws(() => sys.map(fd, 0, 8 * GiB), sysError('EINVAL', 'mmap'));
      const efd = scope.own(sys.createEventfd());
      assert.throws(() => sys.map(efd, 0, 4096), sysError('ENODEV', 'mmap'));
      const pair = socketPair(scope);
      assert.throws(() => sys.map(pair.client, 0, 4096), sysError('ENODEV', 'mmap'));
      const closed = sys.createEventfd();
      sys.close(closed);
      assert.throws(() => sys.map(closed, 0, 4096), sysError('EBADF', 'fstat'));
      const map = sys.map as unknown as (...args: unknown[]) => ArrayBuffer;
      for (const [offset, length] of [
        [-1, 4096],
        [0, -1],
        [0.5, 4096],
        [0, 1.5],
        ['0', 4096],
        [0, NaN],
      ]) {
        assert.throws(
          () => map(fd, offset, length, true),
          typeError,
          `offset ${String(offset)}, length ${String(length)}`,
        );
      }
      assert.throws(() => (sys.unmap as unknown as (b: unknown) => void)(new Uint8Array(8)), typeError);
      assert.throws(() => (sys.unmap as unknown as (b: unknown) => void)(undefined), typeError);
      assert.throws(() => (sys.msync as unknown as (b: unknown) => void)('buffer'), typeError);
    }),
  );

  test(
    'a 5 GiB sparse memfd: a window at offset 4 GiB (MAX_WINDOW) and a full MAX_WINDOW window',
    withNoFdLeak((scope) => {
      assert.equal(sys.MAX_WINDOW, 4 * GiB);
      const fd = scope.own(sys.memfdCreate('famez-5g'));
      sys.truncate(fd, 5 * GiB);
      assert.equal(sys.stat(fd).size, 5 * GiB);
      const high = mapped(scope, fd, sys.MAX_WINDOW, GiB);
      assert.equal(high.byteLength, GiB);
      const highBytes = new Uint8Array(high);
      highBytes.set(pattern(64, 1), 0);
      highBytes.set(pattern(64, 2), GiB - 64);
      // The same bytes, seen with pread and through other windows.
      assert.deepEqual(pread(fd, 64, 4 * GiB), pattern(64, 1));
      assert.deepEqual(pread(fd, 64, 5 * GiB - 64), pattern(64, 2));
      const last = mapped(scope, fd, 5 * GiB - BIG_PAGE, BIG_PAGE);
      assert.deepEqual(new Uint8Array(last, BIG_PAGE - 64), pattern(64, 2));
      const full = mapped(scope, fd, GiB, sys.MAX_WINDOW);
      assert.equal(full.byteLength, sys.MAX_WINDOW);
      const fullBytes = new Uint8Array(full);
      assert.deepEqual(fullBytes.subarray(3 * GiB, 3 * GiB + 64), pattern(64, 1));
      assert.deepEqual(fullBytes.subarray(sys.MAX_WINDOW - 64), pattern(64, 2));
      fullBytes[3 * GiB + 1000] = 0x42;
      assert.equal(highBytes[1000], 0x42);
      // An unaligned window high up.
      const odd = mapped(scope, fd, 5 * GiB - 100, 100);
      assert.deepEqual(new Uint8Array(odd, 36), pattern(64, 2));
      assert.ok(sys.stat(fd).allocated < 16 * MiB, 'still sparse');
    }),
  );

  test(
    'msync writes a file mapping to the file: read back with readFileSync and readSync',
    withNoFdLeak((scope) => {
      const dir = newDir();
      const file = path.join(dir, 'msync');
      const fd = scope.own(sys.openFile(file, { create: true }));
      sys.truncate(fd, 2 * BIG_PAGE);
      const buffer = mapped(scope, fd, 0, 2 * BIG_PAGE);
      const bytes = new Uint8Array(buffer);
      bytes.set(Buffer.from('hello from a mapping'), BIG_PAGE + 10);
      assert.equal(sys.msync(buffer), undefined);
      const contents = fs.readFileSync(file);
      assert.equal(contents.length, 2 * BIG_PAGE);
      assert.equal(contents.subarray(BIG_PAGE + 10, BIG_PAGE + 30).toString(), 'hello from a mapping');
      const other = fs.openSync(file, 'r');
      try {
        const read = Buffer.alloc(20);
        fs.readSync(other, read, 0, 20, BIG_PAGE + 10);
        assert.equal(read.toString(), 'hello from a mapping');
      } finally {
        fs.closeSync(other);
      }
      // msync of an unaligned window.
      const window = mapped(scope, fd, 1000, 50);
      new Uint8Array(window).set(Buffer.from('unaligned'), 5);
      sys.msync(window);
      assert.equal(fs.readFileSync(file).subarray(1005, 1014).toString(), 'unaligned');
      fs.rmSync(dir, { recursive: true });
    }),
  );

  test('a mapping nobody unmaps is released when it is garbage-collected (child process)', async () => {
    await warmUpChildProcesses();
    const result = await runNode(
      `
      import fs from 'node:fs';
      const count = () => fs.readFileSync('/proc/self/maps', 'utf8').split('\\n').filter((l) => l.includes('famez-gc')).length;
      const fd = sys.memfdCreate('famez-gc');
      sys.truncate(fd, 1 << 20);
      (() => { for (let i = 0; i < 64; i++) new Uint8Array(sys.map(fd, i * 4096, 4096))[0] = i; })();
      const mapped = count();
      for (let i = 0; i < 20 && count() > 0; i++) {
        globalThis.gc();
        await new Promise((resolve) => setImmediate(resolve));
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      console.log(JSON.stringify({ mapped, after: count() }));
      sys.close(fd);
    `,
      10_000,
      ['--expose-gc'],
    );
    assert.equal(result.code, 0, explain(result));
    const { mapped, after } = JSON.parse(result.stdout) as { mapped: number; after: number };
    assert.ok(mapped >= 1, explain(result));
    assert.equal(after, 0, explain(result));
  });

  test('unmap refuses an ArrayBuffer that map() did not make (child process)', {}, async () => {
    await warmUpChildProcesses();
    const result = await runNode(`
      const plain = new ArrayBuffer(1 << 20);
      new Uint8Array(plain).fill(7);
      let outcome = 'no error';
      try { sys.unmap(plain); } catch (error) { outcome = error.name; }
      const more = [];
      for (let i = 0; i < 32; i++) more.push(new ArrayBuffer(1 << 20));
      console.log(JSON.stringify({ outcome, byteLength: plain.byteLength, byte: new Uint8Array(plain)[12345] }));
    `);
    assert.equal(result.code, 0, explain(result));
    assert.deepEqual(JSON.parse(result.stdout), { outcome: 'TypeError', byteLength: 1 << 20, byte: 7 });
  });
});
