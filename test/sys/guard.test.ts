// Mappings whose file shrinks under them: the process lives on (no SIGBUS),
// the buffer reads zeros, mappingBroken() says so and remap() mends it.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import * as sys from '../../src/sys/index.js';
import { withNoFdLeak, type FdScope } from '../helpers/fds.js';
import { explain, freshPath, pattern, runNode, sysError, typeError, warmUpChildProcesses } from './common.js';

const PAGE = 4096;
const SIZE = 8 * PAGE;
const T = { timeout: 20_000 };

/** A memfd of SIZE bytes holding a pattern, and a writable mapping of it. */
function mappedFile(
  scope: FdScope,
  fd = scope.own(sys.memfdCreate('famez-guard')),
): { fd: sys.Fd; buffer: ArrayBuffer; view: Uint8Array } {
  sys.truncate(fd, SIZE);
  const buffer = sys.map(fd, 0, SIZE);
  scope.defer(() => sys.unmap(buffer));
  const view = new Uint8Array(buffer);
  view.set(pattern(SIZE, 3));
  return { fd, buffer, view };
}

describe('a mapping whose file shrinks', { timeout: 120_000 }, () => {
  test(
    'cut to 0: reading and writing go on, read zeros, and it says it is broken',
    T,
    withNoFdLeak((scope) => {
      const { fd, buffer, view } = mappedFile(scope);
      const breaks = sys.mappingBreaks();
      assert.equal(sys.mappingBroken(buffer), false);
      sys.truncate(fd, 0);
      assert.equal(view[5 * PAGE], 0, 'a lost page reads zero');
      assert.equal(sys.mappingBroken(buffer), true);
      assert.equal(sys.mappingBreaks(), breaks + 1);
      assert.ok(
        view.every((byte) => byte === 0),
        'the whole mapping reads zeros, its first page too',
      );
      view[7] = 42;
      assert.equal(view[7], 42, 'writes land in the zero pages');
      assert.equal(sys.stat(fd).size, 0, 'and not in the file');
    }),
  );

  test(
    'remap maps the file back at the same buffer once it is long enough; EINVAL before',
    T,
    withNoFdLeak((scope) => {
      const { fd, buffer, view } = mappedFile(scope);
      sys.truncate(fd, PAGE);
      assert.equal(view[PAGE - 1], pattern(SIZE, 3)[PAGE - 1], 'the kept page still reads the file');
      assert.equal(sys.mappingBroken(buffer), false, 'no lost page touched yet');
      void view[3 * PAGE];
      assert.equal(sys.mappingBroken(buffer), true);
      assert.throws(() => sys.remap(buffer, fd, 0), sysError('EINVAL', 'remap'));
      sys.truncate(fd, SIZE);
      sys.remap(buffer, fd, 0);
      assert.equal(sys.mappingBroken(buffer), false);
      assert.deepEqual(view.subarray(0, PAGE), pattern(SIZE, 3).subarray(0, PAGE), 'the kept page is the file again');
      assert.equal(view[3 * PAGE], 0, 'the regrown part is zeros');
      view[3 * PAGE] = 9;
      const back = new Uint8Array(sys.map(fd, 3 * PAGE, PAGE));
      assert.equal(back[0], 9, 'writes reach the file again');
      sys.unmap(back.buffer as ArrayBuffer);
    }),
  );

  test(
    'cut from outside by truncate(1) on a file path: the same',
    T,
    withNoFdLeak((scope) => {
      const file = freshPath('guard');
      scope.defer(() => fs.rmSync(file, { force: true }));
      const fd = scope.own(sys.openFile(file, { create: true, exclusive: true }));
      const { buffer, view } = mappedFile(scope, fd);
      const cut = spawnSync('truncate', ['-s', '0', file]);
      assert.equal(cut.status, 0, String(cut.stderr));
      assert.equal(view[SIZE - 1], 0);
      assert.equal(sys.mappingBroken(buffer), true);
      sys.truncate(fd, SIZE);
      sys.remap(buffer, fd, 0);
      assert.equal(sys.mappingBroken(buffer), false);
    }),
  );

  test(
    'a window at an offset is mapped back at its offset',
    T,
    withNoFdLeak((scope) => {
      const fd = scope.own(sys.memfdCreate('famez-guard-offset'));
      sys.truncate(fd, SIZE);
      const buffer = sys.map(fd, 2 * PAGE + 16, PAGE);
      scope.defer(() => sys.unmap(buffer));
      const view = new Uint8Array(buffer);
      view[0] = 7;
      sys.truncate(fd, 0);
      assert.equal(view[0], 0);
      sys.truncate(fd, SIZE);
      assert.throws(
        () => sys.remap(buffer, fd, 2 * PAGE),
        sysError('EINVAL', 'remap'),
        'another offset within the page is refused',
      );
      sys.remap(buffer, fd, 2 * PAGE + 16);
      view[0] = 5;
      const whole = new Uint8Array(sys.map(fd, 0, SIZE));
      assert.equal(whole[2 * PAGE + 16], 5);
      sys.unmap(whole.buffer as ArrayBuffer);
    }),
  );

  test(
    'unmap of a broken mapping; mappingBroken of an unmapped one is false; bad arguments are TypeErrors',
    T,
    withNoFdLeak((scope) => {
      const fd = scope.own(sys.memfdCreate('famez-guard-unmap'));
      sys.truncate(fd, SIZE);
      const buffer = sys.map(fd, 0, SIZE);
      sys.truncate(fd, 0);
      void new Uint8Array(buffer)[0];
      assert.equal(sys.mappingBroken(buffer), true);
      sys.unmap(buffer);
      assert.equal(sys.mappingBroken(buffer), false);
      assert.throws(() => sys.remap(buffer, fd, 0), sysError('EBADF', 'remap'));
      assert.throws(() => sys.mappingBroken(new ArrayBuffer(8)), typeError);
      assert.throws(() => sys.remap(new ArrayBuffer(8), fd, 0), typeError);
    }),
  );

  test('a SIGBUS that is not a shrunk mapping of ours still kills the process (child process)', T, async () => {
    await warmUpChildProcesses();
    const result = await runNode(`
      const fd = sys.memfdCreate('famez-guard-child');
      sys.truncate(fd, 4096);
      const view = new Uint8Array(sys.map(fd, 0, 4096));
      sys.truncate(fd, 0);
      console.log('survived', view[0]);
      process.kill(process.pid, 'SIGBUS');
      setTimeout(() => console.log('still alive'), 500);
    `);
    assert.match(result.stdout, /survived 0/, explain(result));
    assert.doesNotMatch(result.stdout, /still alive/, explain(result));
    assert.equal(result.signal, 'SIGBUS', explain(result));
  });
});
