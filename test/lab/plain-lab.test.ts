// famez lab --plain end to end: two real guests on a plain famez server (no
// mailbox), the table, guest A ringing guest B's doorbell from its console and
// B printing it, and famez lab down leaving nothing behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Famez, famezAsync } from '../cli/cli.js';
import { waitFor } from '../helpers/fds.js';
import { skipE2e } from '../e2e/harness.js';
import { consoleLog, processesNaming, tableRows, typeOn } from './lab-guests.js';

/** What the open fds of `pids` point at (files, memfds, sockets). */
function fdTargets(pids: number[]): string[] {
  return pids.flatMap((pid) =>
    readdirSync(`/proc/${pid}/fd`).map((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        return ''; // closed meanwhile
      }
    }),
  );
}

test('famez lab -n 2 --plain: the table, guest A rings guest B through its console, famez lab down', {
  skip: skipE2e,
  timeout: 120_000,
}, async (t) => {
  const scratch = mkdtempSync(path.join(tmpdir(), 'famez-lab-plain-'));
  t.after(() => rmSync(scratch, { recursive: true, force: true }));
  const dir = path.join(scratch, 'state');
  const lab = new Famez(t, ['lab', '-n', '2', '--plain', '--dir', dir]);
  const clientLine = await lab.line(/^a plain server \(no mailbox\): .* client -S /, 100_000);
  assert.equal(clientLine.split(' ').at(-1), path.join(dir, 'fabric.sock'));

  // The table: one row a guest, its port the id the server gave it; no CID or link without a switch.
  const rows = tableRows(lab.stdout);
  assert.deepEqual(rows.map(([, name, cid, link]) => [name, cid, link]).sort(), [
    ['lab1', '-', '-'],
    ['lab2', '-', '-'],
  ]);
  const port = Object.fromEntries(rows.map(([id, name]) => [name!, Number(id)]));
  assert.notEqual(port.lab1, port.lab2);
  assert.match(lab.stdout.join('\n'), new RegExp(`socat - UNIX-CONNECT:${dir}/lab2\\.console`));

  // Guest A rings guest B's vector 0; B's agent prints the doorbell.
  assert.doesNotMatch(consoleLog(dir, 'lab2'), /doorbell vector/);
  await typeOn(path.join(dir, 'lab1.console'), `ring ${port.lab2} 0`);
  await waitFor(
    () => consoleLog(dir, 'lab1').includes(`famez: rang peer ${port.lab2} vector 0`),
    () => consoleLog(dir, 'lab1'),
    30_000,
    100,
  );
  await waitFor(
    () => consoleLog(dir, 'lab2').includes('famez: doorbell vector 0'),
    () => consoleLog(dir, 'lab2'),
    30_000,
    100,
  );
  await typeOn(path.join(dir, 'lab1.console'), 'ring lab2 0');
  await waitFor(
    () => consoleLog(dir, 'lab1').includes('famez: error usage: ring PEER VECTOR (PEER: an id, VECTOR: 0..0)'),
    () => consoleLog(dir, 'lab1'),
    30_000,
    100,
  );

  // The memory is the server's memfd: no object in /dev/shm to outlive the lab.
  const qemus = processesNaming(dir).filter((pid) => pid !== lab.pid);
  assert.equal(qemus.length, 2, "both QEMUs run with the lab's paths");
  assert.deepEqual(
    fdTargets([lab.pid, ...qemus]).filter((target) => target.startsWith('/dev/shm/')),
    [],
  );

  const down = await famezAsync(['lab', 'down', '--dir', dir], 60_000);
  assert.equal(down.status, 0, down.stderr);
  assert.match(down.stdout, new RegExp(`^famez lab: stopped the lab in ${dir} \\(pid ${lab.pid}\\)\n$`));
  assert.deepEqual(await lab.exit(30_000), { code: 0, signal: null });
  assert.deepEqual(processesNaming(dir), []);
  assert.equal(existsSync(dir), false, 'state directory (socket, consoles, logs, pid file) removed');
});
