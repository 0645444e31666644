// The lab's state directory: the lab removes only what it made. A directory
// that is not a lab's and not empty is refused untouched; a dead lab's files
// go but nothing else does; the default directory (in /tmp) is refused when it
// is a symlink, someone else's, or open to others.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { checkStateDir, claimLabDir, LAB_MARKER, LabError, releaseLabDir } from '../../src/lab/lab-lock.js';

const TIMEOUT = { timeout: 10_000 };

function scratch(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'famez-lab-dir-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('a directory that is not a lab state directory and not empty is refused, and keeps every file', TIMEOUT, (t) => {
  const dir = scratch(t);
  writeFileSync(path.join(dir, 'thesis.tex'), 'years of work');
  writeFileSync(path.join(dir, 'mailbox'), "a file of the same name as the lab's");
  assert.throws(
    () => claimLabDir(dir),
    (error: Error) =>
      error instanceof LabError &&
      error.message ===
        `--dir ${dir} is not a lab state directory (no ${LAB_MARKER} in it) and not empty: give a new or empty directory`,
  );
  assert.deepEqual(readdirSync(dir).sort(), ['mailbox', 'thesis.tex']);
});

test('a new directory is made, marked, and removed at the end', TIMEOUT, (t) => {
  const dir = path.join(scratch(t), 'a', 'lab');
  claimLabDir(dir);
  assert.deepEqual(readdirSync(dir).sort(), [LAB_MARKER, 'lab.pid']);
  writeFileSync(path.join(dir, 'lab1.console'), 'boot');
  writeFileSync(path.join(dir, 'lab1.log'), 'qemu');
  releaseLabDir(dir);
  assert.equal(existsSync(dir), false);
  assert.equal(existsSync(path.dirname(dir)), true, "its parent is not the lab's to remove");
});

test("an empty directory given with --dir is used and kept (emptied of the lab's files only)", TIMEOUT, (t) => {
  const dir = scratch(t);
  claimLabDir(dir);
  writeFileSync(path.join(dir, 'lab1.console'), 'boot');
  writeFileSync(path.join(dir, 'notes.txt'), "the user's, written while the lab ran");
  releaseLabDir(dir);
  assert.deepEqual(readdirSync(dir), ['notes.txt']);
});

test("a dead lab's files are cleared at the next start, and nothing else", TIMEOUT, (t) => {
  const dir = scratch(t);
  claimLabDir(dir);
  writeFileSync(path.join(dir, 'lab.pid'), '999999999\n'); // no such process
  writeFileSync(path.join(dir, 'lab2.console'), 'old boot');
  mkdirSync(path.join(dir, 'keep'));
  writeFileSync(path.join(dir, 'keep', 'file'), 'x');
  claimLabDir(dir);
  assert.deepEqual(readdirSync(dir).sort(), [LAB_MARKER, 'keep', 'lab.pid']);
  releaseLabDir(dir);
  assert.deepEqual(readdirSync(dir), ['keep']);
  assert.equal(existsSync(path.join(dir, 'keep', 'file')), true);
});

test('a file given as --dir is refused', TIMEOUT, (t) => {
  const file = path.join(scratch(t), 'file');
  writeFileSync(file, 'x');
  assert.throws(() => claimLabDir(file), /is not a directory: give a directory of your own$/);
});

test('the default state directory is refused when it is a symlink or not mode 0700', TIMEOUT, (t) => {
  const dir = scratch(t);
  const target = path.join(dir, 'elsewhere');
  mkdirSync(target, { mode: 0o700 });
  const link = path.join(dir, 'famez-lab');
  symlinkSync(target, link);
  assert.throws(
    () => checkStateDir(link, true),
    new RegExp(
      `^LabError: ${link} is a symlink, not the lab's state directory: remove it, or give another with --dir$`,
    ),
  );
  const open = path.join(dir, 'open');
  mkdirSync(open);
  chmodSync(open, 0o755);
  assert.throws(() => checkStateDir(open, true), /has mode 0755, not 0700: chmod 700 it if it is yours/);
  chmodSync(open, 0o700);
  checkStateDir(open, true);
});

test('the default state directory is refused when it belongs to someone else', TIMEOUT, (t) => {
  const dir = scratch(t);
  const uid = process.getuid!();
  assert.throws(
    () => checkStateDir(dir, true, uid + 1),
    new RegExp(`belongs to uid ${uid}, not to you \\(uid ${uid + 1}\\)`),
  );
});
