// What `famez lab` signals it verifies first: a pid file is trusted only for
// the process that wrote it (pid and start time), so a reused pid is never
// signalled; `famez lab down` stops the guests a dead lab left; a state
// directory of another user's, or holding another user's file, is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { claimLabDir, LAB_MARKER, recordGuest, releaseLabDir } from '../../src/lab/lab-lock.js';
import { famez, famezAsync } from '../cli/cli.js';
import { waitFor } from '../helpers/fds.js';

const TIMEOUT = { timeout: 30_000 };
const IS_ROOT = process.geteuid?.() === 0;

function scratch(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'famez-lab-pids-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** An unrelated process (it must survive), killed at the test's end. */
function bystander(t: { after(fn: () => void): void }): number {
  const child = spawn('sleep', ['1000'], { stdio: 'ignore' });
  t.after(() => child.kill('SIGKILL'));
  return child.pid!;
}

const alive = (pid: number): boolean => existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(status(pid));
const status = (pid: number): string => {
  try {
    return readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return '';
  }
};

test('a pid file whose pid now names another process: the lab starts, and lab down signals nothing', TIMEOUT, (t) => {
  const dir = scratch(t);
  claimLabDir(dir);
  const other = bystander(t);
  writeFileSync(path.join(dir, 'lab.pid'), `${other}\n`); // the dead lab's pid, reused
  const down = famez(['lab', 'down', '--dir', dir]);
  assert.equal(down.status, 1, down.stdout);
  assert.equal(down.stderr, `famez lab: no lab is running in ${dir}\n`);
  assert.ok(alive(other), 'the unrelated process was not signalled');
  claimLabDir(dir); // a stale pid file, not a running lab
  releaseLabDir(dir);
  assert.ok(alive(other));
});

test(
  'famez lab down stops the guests of a lab that died, checked by start time, and removes its files',
  TIMEOUT,
  async (t) => {
    const dir = scratch(t);
    claimLabDir(dir);
    writeFileSync(path.join(dir, 'lab.pid'), '999999999 1\n'); // the lab is gone
    const guest = bystander(t);
    recordGuest(dir, 'lab1', guest);
    const other = bystander(t);
    writeFileSync(path.join(dir, 'lab2.pid'), `${other} 1\n`); // a reused pid: not the guest
    // Not spawnSync: this process must reap the killed guest (a real one's parent is init).
    const down = await famezAsync(['lab', 'down', '--dir', dir]);
    assert.equal(down.status, 0, down.stderr);
    assert.match(down.stdout, /the lab in .* had died: stopped the 1 guest\(s\) it left and removed its files/);
    await waitFor(() => !alive(guest), 'the orphaned guest to be gone');
    assert.ok(alive(other), 'a process whose start time differs is left alone');
    assert.equal(existsSync(path.join(dir, LAB_MARKER)), false);
  },
);

test("a --dir of another user's, or holding another user's file, is refused and nothing in it is touched", {
  ...TIMEOUT,
  skip: IS_ROOT ? false : 'needs root to give files to another uid',
}, (t) => {
  const base = scratch(t);
  const theirs = path.join(base, 'theirs');
  mkdirSync(theirs, { mode: 0o700 });
  writeFileSync(path.join(theirs, LAB_MARKER), 'used by famez lab\n');
  chownSync(path.join(theirs, LAB_MARKER), 65534, 65534);
  chownSync(theirs, 65534, 65534);
  assert.throws(() => claimLabDir(theirs), /belongs to uid 65534, not to you/);
  const mine = path.join(base, 'mine');
  claimLabDir(mine);
  const other = bystander(t);
  writeFileSync(path.join(mine, 'lab1.pid'), `${other} 1\n`);
  chownSync(path.join(mine, 'lab1.pid'), 65534, 65534);
  const down = famez(['lab', 'down', '--dir', mine]);
  assert.equal(down.status, 1);
  assert.match(down.stderr, /lab1\.pid belongs to uid 65534, not to you .*: remove it, or give another --dir/);
  assert.ok(existsSync(path.join(mine, 'lab1.pid')), 'left in place');
  assert.ok(alive(other));
});
