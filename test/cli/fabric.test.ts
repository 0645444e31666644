// `famez fabric` as users run it: options and their errors, the QEMU stanza in
// help and log, a FAME-Z style session over the mailbox, the console on a
// terminal, and a clean exit that leaves nothing behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { famez, Famez, MAIN } from './cli.js';
import { LineProcess } from '../helpers/line-process.js';
import { tempDir } from '../server/helpers.js';
import { MailboxPeer } from '../fabric/mailbox-peer.js';
import { waitFor, withTimeout } from '../helpers/fds.js';

test('bad options: one line naming the problem, exit 2', () => {
  const cases: [string[], RegExp][] = [
    [['-n', '0'], /--nClients: expected an integer from 1 to 62/],
    [['-n', '63'], /--nClients: expected an integer from 1 to 62/],
    [['--nClients', 'many'], /--nClients/],
    [['--ids', 'rotate'], /--ids: expected one of lowest, random/],
    [['--recycle', '--norecycle'], /cannot be combined/],
    [['-S', '/a', '--socket-path', '/b'], /name the same thing/],
    [['--mailbox', ''], /--mailbox needs a file name/],
    [['--frobnicate'], /unknown option --frobnicate/],
    [['--socket-mode', 'rw'], /--socket-mode/],
  ];
  for (const [args, pattern] of cases) {
    const result = famez(['fabric', ...args]);
    assert.equal(result.status, 2, `${args.join(' ')}: ${result.stderr}`);
    assert.match(result.stderr, pattern);
    assert.equal(result.stderr.trim().split('\n').length, 1, `one line for ${args.join(' ')}: ${result.stderr}`);
  }
});

test("help names FAME-Z's options and gives the QEMU stanza", () => {
  const result = famez(['help', 'fabric']);
  assert.equal(result.status, 0);
  for (const option of [
    '--socketpath',
    '--mailbox',
    '--nClients',
    '--noPFM',
    '--silent',
    '--recycle',
    '--norecycle',
    '--daemon',
    '--logfile',
    '--allow-uid',
    '--max-queue',
    '--pid-file',
  ]) {
    assert.ok(result.stdout.includes(option), `help mentions ${option}`);
  }
  assert.match(
    result.stdout,
    /-chardev socket,path=\/tmp\/ivshmsg_socket,id=ivshmsg -device ivshmem-doorbell,chardev=ivshmsg,vectors=16/,
  );
});

test('a fabric logs its QEMU stanza, answers a mailbox peer, logs each message with -v, and on SIGTERM removes socket, mailbox and pid file', async (t) => {
  const dir = tempDir(t);
  const socket = join(dir, 'sock');
  const mailbox = join(dir, 'mailbox');
  const pidFile = join(dir, 'pid');
  const fabric = new Famez(t, ['fabric', '-S', socket, '-M', mailbox, '-n', '6', '-v', '-p', pidFile]);
  const listening = await fabric.line(/listening on /);
  assert.match(
    listening,
    new RegExp(
      `mailbox ${mailbox} \\(4 KiB\\), 6 clients, switch Z-switch \\(managing\\) is peer 7; ` +
        `QEMU: -chardev socket,path=${socket},id=ivshmsg -device ivshmem-doorbell,chardev=ivshmsg,vectors=8$`,
    ),
  );
  assert.equal(readFileSync(pidFile, 'utf8').trim(), String(fabric.pid));
  assert.equal(statSync(mailbox).size, 4096);

  const peer = await MailboxPeer.connect(socket, { nodename: 'z01', cclass: 'Debugger' });
  t.after(() => peer.close());
  await fabric.line(/peer 1 joined/);
  await peer.send(7, 'ping');
  await peer.expect(7, 'pong');
  await fabric.line(/z01 -> "ping" \(1\)$/);
  await peer.send(7, 'Link RFC TTC=27us');
  const write = await peer.expect(7, /^CTL-Write /);
  await peer.send(7, `Standalone Acknowledgment Tag=${/Tag=(\d+)/.exec(write.body)![1]},Reason=OK`);
  await fabric.line(/port 1 \(z01\) configured: CID=100, SID=27$/);
  peer.close();
  await fabric.line(/peer 1 \(z01\) gone: disconnected$/);

  fabric.child.kill('SIGTERM');
  assert.deepEqual(await fabric.exit(), { code: 0, signal: null });
  assert.equal(existsSync(socket), false);
  assert.equal(existsSync(mailbox), false, 'the mailbox famez created is removed');
  assert.equal(existsSync(pidFile), false);
});

test('--noPFM and --silent say what the server is; --norecycle announces leaves as famez server does', async (t) => {
  const dir = tempDir(t);
  const unmanaged = new Famez(t, ['fabric', '-S', join(dir, 'a'), '-M', join(dir, 'ma'), '--noPFM', '--norecycle']);
  assert.match(await unmanaged.line(/listening on /), /switch Z-server \(not managing, --noPFM\) is peer 15/);
  const stay = await MailboxPeer.connect(join(dir, 'a'));
  t.after(() => stay.close());
  // A peer that joins and leaves within one read of ours is never announced, either way: leave once it was.
  const announced = new Promise<void>((resolve) =>
    stay.client.on('peer', (id) => {
      if (id === 2) resolve();
    }),
  );
  const leaver = await MailboxPeer.connect(join(dir, 'a'));
  await withTimeout(announced, 'peer 2 announced to the peer that stays', 5000);
  const gone: number[] = [];
  stay.client.on('peer-gone', (id) => gone.push(id));
  leaver.close();
  await waitFor(() => gone.length === 1, 'the leave is announced');
  assert.deepEqual(gone, [2]);
  const silent = new Famez(t, ['fabric', '-S', join(dir, 'b'), '-M', join(dir, 'mb'), '-s']);
  assert.match(await silent.line(/listening on /), /the server takes no part/);
});

test('on a terminal: the console answers help and dump (the switch and its ports) and quit closes everything', {
  timeout: 30_000,
}, async (t) => {
  const dir = tempDir(t);
  const socket = join(dir, 'sock');
  const quote = (word: string): string => `'${word.replace(/'/g, `'\\''`)}'`;
  const command = [process.execPath, MAIN, 'fabric', '-S', socket, '-M', join(dir, 'mailbox')].map(quote).join(' ');
  const tty = new LineProcess(t, 'famez fabric on a pty', 'script', ['-qfec', command, '/dev/null']);
  await tty.line(/listening on /);
  const peer = await MailboxPeer.connect(socket, { nodename: 'alpha', cclass: 'Debugger' });
  t.after(() => peer.close());
  await peer.send(15, 'ping');
  await peer.expect(15, 'pong');
  tty.child.stdin.write('help\r');
  await tty.line(/d\[ump\]/);
  tty.child.stdin.write('dump\r');
  await tty.line(/Debugger alpha \[0,0\] -\| 1 U 14\|-/);
  await tty.line(/^ 1 alpha\s+Debugger\s+link up\s+CID=0 SID=0 in=1 out=/);
  let disconnected = false;
  peer.client.on('close', () => {
    disconnected = true;
  });
  tty.child.stdin.write('quit\r');
  assert.deepEqual(await tty.exit(), { code: 0, signal: null });
  await waitFor(() => disconnected, 'the peer is disconnected');
  assert.equal(existsSync(socket), false);
});

test('-D runs in the background with -L as its log; SIGTERM removes socket and mailbox', async (t) => {
  const dir = tempDir(t);
  const socket = join(dir, 'sock');
  const mailbox = join(dir, 'mailbox');
  const logFile = join(dir, 'log');
  let daemonPid: number | undefined;
  t.after(() => {
    try {
      if (daemonPid !== undefined) process.kill(daemonPid, 'SIGKILL');
    } catch {
      // gone
    }
  });
  const parent = famez(['fabric', '-D', '-L', logFile, '-S', socket, '-M', mailbox]);
  assert.equal(parent.status, 0, parent.stderr);
  daemonPid = Number(/^famez fabric running in the background, pid (\d+)$/m.exec(parent.stdout)?.[1]);
  assert.ok(daemonPid > 0, parent.stdout);
  assert.match(readFileSync(logFile, 'utf8'), /listening on .*vectors=16$/m);
  const peer = await MailboxPeer.connect(socket);
  await peer.send(15, 'ping');
  await peer.expect(15, 'pong');
  peer.close();
  process.kill(daemonPid, 'SIGTERM');
  await waitFor(
    () => !existsSync(socket) && !existsSync(mailbox),
    'the daemon to remove its socket and mailbox',
    10_000,
  );
  await waitFor(() => /SIGTERM: closing/.test(readFileSync(logFile, 'utf8')), 'the stop in the log', 10_000);
});
