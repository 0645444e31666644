// The log never blocks the fabric: with stdout a pipe nobody reads (a FIFO
// whose reader is stopped), the fabric answers every ping and takes a join;
// past its bounded buffer it drops lines, and once the reader reads again one
// line says how many. FAMEZ_LOG_ROUNDS (npm run soak: 1,000) repeats the
// stop-burst-resume cycle.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, constants, existsSync, openSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { LOG_BUFFER } from '../../src/cli/log-output.js';
import { LineProcess } from '../helpers/line-process.js';
import { waitFor } from '../helpers/fds.js';
import { MailboxPeer } from '../fabric/mailbox-peer.js';
import { tempDir } from '../server/helpers.js';
import { MAIN } from './cli.js';

const ROUNDS = Number(process.env.FAMEZ_LOG_ROUNDS ?? 1);
/** A message the switch does not know: logged with -v (about 430 bytes), not answered. */
const LONG = `noise ${'x'.repeat(360)}`;
/** Enough long messages to fill the pipe (64 KiB) and the log's buffer with room to spare. */
const OVERFLOW = Math.ceil((LOG_BUFFER + 128 * 1024) / 400);

test('with stdout a pipe nobody reads, the fabric answers every ping and counts the lines it dropped', {
  timeout: 60_000 + ROUNDS * 5_000,
}, async (t) => {
  const dir = tempDir(t);
  const fifo = join(dir, 'stdout');
  const socket = join(dir, 'sock');
  execFileSync('mkfifo', ['-m', '600', fifo]);
  // A reader that never reads lets the fabric's shell open the FIFO for writing.
  const idle = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  const fabric = spawn('sh', [
    '-c',
    'exec "$@" > "$0"',
    fifo,
    process.execPath,
    MAIN,
    'fabric',
    '-S',
    socket,
    '-M',
    join(dir, 'mb'),
    '-v',
  ]);
  let stderr = '';
  fabric.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  t.after(() => fabric.kill('SIGKILL'));
  await waitFor(
    () => existsSync(socket),
    () => `the fabric's socket (stderr: ${stderr})`,
    10_000,
  );
  const reader = new LineProcess(t, 'cat', 'cat', [fifo]);
  // Only once cat has the FIFO open may the idle reader go: else the fabric's writes meet no reader (EPIPE).
  await reader.line(/listening on /, 30_000);
  closeSync(idle);
  const peer = await MailboxPeer.connect(socket, { nodename: 'blocked', cclass: 'Test' });
  t.after(() => peer.close());
  const ping = async (): Promise<void> => {
    await peer.send(peer.serverId, 'ping');
    await peer.expect(peer.serverId, 'pong');
  };
  for (let round = 0; round < ROUNDS; round++) {
    reader.child.kill('SIGSTOP');
    const burst = round === 0 ? OVERFLOW : 150;
    for (let i = 0; i < burst; i++) {
      await peer.send(peer.serverId, LONG);
      if (i % 50 === 0) await ping();
    }
    const late = await MailboxPeer.connect(socket, { nodename: `late${round}`, cclass: 'Test' });
    await late.send(late.serverId, 'ping');
    await late.expect(late.serverId, 'pong');
    late.close();
    await ping();
    reader.child.kill('SIGCONT');
  }
  const notice = await reader.line(/warning: log: \d+ lines dropped: the output was not read fast enough$/, 30_000);
  assert.ok(Number(/log: (\d+) lines/.exec(notice)![1]) > 0);
  await ping();
  fabric.kill('SIGTERM');
  const code = await new Promise((resolve) => fabric.once('exit', resolve));
  assert.equal(code, 0, stderr);
  await reader.exit();
});
