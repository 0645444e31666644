// famez lab end to end: two real guests on a fabric, famez chat against them,
// one guest's message to the other through the mailbox, fabric-attached memory
// written by one and read by the other, kept in its file; a second lab on the
// same paths refused; the fabric's page with --http; the commands the lab
// prints run as printed (from another directory); famez lab down leaves no
// process, socket or file behind, and the lab says it stopped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { Famez, famezAsync, MAIN } from '../cli/cli.js';
import { shellLine } from '../../src/lab/qemu-args.js';
import { waitFor } from '../helpers/fds.js';
import { skipE2e } from '../e2e/harness.js';
import { consoleLog, processesNaming, tableRows, typeOn } from './lab-guests.js';

/**
 * Runs a command line as a user types it into a shell, in another directory (without blocking: the lab is our child).
 */
function typed(line: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('/bin/sh', ['-c', `cd / && ${line}`], { encoding: 'utf8', timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ status: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
    });
  });
}

test('famez lab -n 2 --fam: chat, guest to guest, fabric-attached memory, a second lab refused, famez lab down', {
  skip: skipE2e,
  timeout: 300_000,
}, async (t) => {
  const scratch = mkdtempSync(path.join(tmpdir(), 'famez-lab-test-'));
  t.after(() => rmSync(scratch, { recursive: true, force: true }));
  const dir = path.join(scratch, 'state');
  const famFile = path.join(scratch, 'fam.img');
  const lab = new Famez(t, ['lab', '-n', '2', '--tcg', '--fam', `1M:${famFile}`, '--dir', dir, '--http', '0']);
  // Run as `node MAIN`, with no famez on PATH to be: the printed commands name MAIN itself.
  const chatLine = await lab.line(/^chat with them: /, 240_000);
  const socket = path.join(dir, 'fabric.sock');
  const chatCommand = chatLine.slice('chat with them: '.length);
  assert.equal(chatCommand, shellLine([MAIN, 'chat', '-S', socket]));

  // The table: both links configured, CIDs from the switch (id * 100), in port order.
  const rows = tableRows(lab.stdout);
  assert.deepEqual(
    rows.map(([port]) => Number(port)),
    rows.map(([port]) => Number(port)).sort((a, b) => a - b),
  );
  assert.deepEqual(
    rows.map(([, name, cid, link]) => [name, Number(cid), link]).sort(),
    rows.map(([port, name]) => [name, Number(port) * 100, 'configured']).sort(),
  );
  // Ports follow the names: the table, in port order, lists lab1 first.
  assert.deepEqual(
    rows.map((row) => row[1]),
    ['lab1', 'lab2'],
  );
  assert.match(lab.stdout.join('\n'), new RegExp(`socat - UNIX-CONNECT:${dir}/lab1\\.console`));

  // The page's line: the fabric's API lists both guests.
  const pageUrl = (await lab.line(/^the fabric's page: http:\/\/127\.0\.0\.1:\d+\/$/)).split(' ').at(-1)!;
  const { peers } = (await (await fetch(`${pageUrl}api/v1/peers`)).json()) as { peers: { nodename?: string }[] };
  assert.deepEqual(
    peers
      .map((peer) => peer.nodename)
      .filter((name) => name?.startsWith('lab'))
      .sort(),
    ['lab1', 'lab2'],
  );

  // The printed chat command, typed into a shell elsewhere, pings both guests and gets pong from each.
  const chat = await typed(`${chatCommand} -c 'ping lab1; ping lab2'`);
  assert.equal(chat.status, 0, chat.stdout + chat.stderr);
  assert.match(chat.stdout, /lab1 -> "pong"/);
  assert.match(chat.stdout, /lab2 -> "pong"/);

  // Guest A's message reaches guest B through the mailbox; A writes the FAM, B reads it.
  await typeOn(path.join(dir, 'lab1.console'), 'send lab2 hello from lab1');
  await waitFor(
    () => /famez: from \d+ \(lab1\): hello from lab1/.test(consoleLog(dir, 'lab2')),
    () => consoleLog(dir, 'lab2'),
    30_000,
    100,
  );
  await waitFor(
    () => /famez: sent to \d+: hello from lab1/.test(consoleLog(dir, 'lab1')),
    () => consoleLog(dir, 'lab1'),
    30_000,
    100,
  );
  // A console's lines in the order things happened: lab2 takes the ping ("sent to"), then its pong comes.
  for (let i = 0; i < 5; i++) {
    const before = consoleLog(dir, 'lab1').length;
    const since = () => consoleLog(dir, 'lab1').slice(before);
    await typeOn(path.join(dir, 'lab1.console'), 'ping lab2');
    await waitFor(() => /\(lab2\): pong/.test(since()), since, 30_000, 100);
    const lines = since().split('\n');
    const sent = lines.findIndex((line) => /famez: sent to \d+: ping/.test(line));
    const pong = lines.findIndex((line) => /famez: from \d+ \(lab2\): pong/.test(line));
    assert.ok(sent >= 0 && sent < pong, `"sent to" before the pong:\n${since()}`);
  }
  await typeOn(path.join(dir, 'lab1.console'), 'fam write 64 fabric memory');
  await waitFor(
    () => consoleLog(dir, 'lab1').includes('famez: fam wrote 13 bytes at 64'),
    () => consoleLog(dir, 'lab1'),
    30_000,
    100,
  );
  await typeOn(path.join(dir, 'lab2.console'), 'fam read 64 13');
  await waitFor(
    () => consoleLog(dir, 'lab2').includes('famez: fam read 13 at 64: fabric memory'),
    () => consoleLog(dir, 'lab2'),
    30_000,
    100,
  );

  // A second lab on the same paths is refused, and the first carries on.
  const second = await famezAsync(['lab', '-n', '1', '--tcg', '--dir', dir], 30_000);
  assert.equal(second.status, 1);
  assert.match(second.stderr, new RegExp(`a lab is already running in ${dir} \\(pid ${lab.pid}\\)`));
  assert.ok(second.stderr.includes(`stop it with ${shellLine([MAIN, 'lab', 'down', '--dir', dir])}`), second.stderr);
  assert.ok(lab.running);
  const again = await famezAsync(['chat', '-S', socket, '-c', 'ping lab2'], 60_000);
  assert.match(again.stdout, /lab2 -> "pong"/);

  // famez lab down: the lab exits 0 and leaves nothing behind; the FAM file keeps what was written.
  assert.ok(processesNaming(dir).length >= 2, "both QEMUs run with the lab's paths");
  const stopLine = await lab.line(/^stop: Ctrl-C, or /);
  assert.equal(stopLine, `stop: Ctrl-C, or ${shellLine([MAIN, 'lab', 'down', '--dir', dir])}`);
  const down = await typed(stopLine.slice('stop: Ctrl-C, or '.length));
  assert.equal(down.status, 0, down.stderr);
  assert.deepEqual(await lab.exit(30_000), { code: 0, signal: null });
  assert.equal(lab.stdout.at(-1), `famez lab: stopped 2 guests and the fabric, and removed what it made in ${dir}`);
  assert.deepEqual(processesNaming(dir), []);
  assert.equal(existsSync(dir), false, 'state directory (sockets, mailbox, consoles) removed');
  assert.equal(readFileSync(famFile).subarray(64, 77).toString(), 'fabric memory');
  const none = await famezAsync(['lab', 'down', '--dir', dir]);
  assert.equal(none.status, 1);
  assert.match(none.stderr, /no lab is running in/);
});
