// `famez lab | head -2`: the reader goes away, the lab goes on (a closed stdout
// stops nothing but that output); when the lab itself is killed, its QEMU guest
// dies with it (parent-death signal) instead of running on under init.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MAIN } from '../cli/cli.js';
import { waitFor } from '../helpers/fds.js';
import { skipE2e } from '../e2e/harness.js';
import { runningLab } from '../../src/lab/lab-lock.js';
import { consoleLog, processesNaming } from './lab-guests.js';

test('famez lab | head -2 keeps the lab running; killing the lab kills its guest', {
  skip: skipE2e,
  timeout: 180_000,
}, async (t) => {
  const scratch = mkdtempSync(path.join(tmpdir(), 'famez-lab-dies-'));
  t.after(() => rmSync(scratch, { recursive: true, force: true }));
  const dir = path.join(scratch, 'state');
  const console = path.join(dir, 'lab1.console');
  t.after(() => processesNaming(console).forEach((pid) => process.kill(pid, 'SIGKILL')));
  const pipeline = spawn('sh', [
    '-c',
    '"$@" | head -2',
    'sh',
    process.execPath,
    MAIN,
    'lab',
    '-n',
    '1',
    '--plain',
    '--dir',
    dir,
  ]);
  let shown = '';
  pipeline.stdout.on('data', (chunk: Buffer) => (shown += chunk.toString()));
  let stderr = '';
  pipeline.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  t.after(() => pipeline.kill('SIGKILL'));
  // head has printed its two lines and gone; the lab writes its table into the closed pipe.
  await waitFor(
    () => shown.split('\n').length > 2,
    () => `two lines through head (stderr: ${stderr})`,
    100_000,
  );
  const guest = await waitFor(() => processesNaming(console)[0], 'the guest QEMU', 30_000);
  const lab = await waitFor(() => runningLab(dir), 'the lab pid file', 30_000);
  // Once the guest says ready the lab prints its table: into the closed pipe, or nowhere once a write found it closed
  // (said once on stderr). Either way it must still run.
  await waitFor(() => /ready id=/.test(consoleLog(dir, 'lab1')), 'the guest to be ready', 120_000);
  await waitFor(
    () => stderr.includes('famez lab: its output was closed (the reader went away): the lab goes on'),
    () => `the lab to say its output was closed (stderr: ${stderr})`,
    30_000,
  );
  assert.match(stderr, /printing nothing more; stop it with Ctrl-C or .*lab down --dir /);
  assert.equal(stderr.split('its output was closed').length, 2, 'said once');
  assert.equal(runningLab(dir), lab, `the lab still runs (stderr: ${stderr})`);
  process.kill(lab, 'SIGKILL');
  await waitFor(() => !processesNaming(console).includes(guest), 'the guest to die with the lab', 30_000);
  assert.equal(stderr.includes('EPIPE'), false, stderr);
});
