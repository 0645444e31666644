// `famez client` on a real terminal (a pty from util-linux's `script`): the
// prompt, line editing, history, and doorbells printed while it waits for input.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, createServer, type FamezServer } from '../../src/index.js';
import { Famez, MAIN } from '../cli/cli.js';
import { LineProcess } from '../helpers/line-process.js';

const dir = mkdtempSync(join(tmpdir(), 'famez-terminal-'));
const socketPath = join(dir, 'sock');
let server: FamezServer;

before(async () => {
  server = createServer({ socketPath, memory: { kind: 'memfd', size: 1 << 20 }, vectors: 1 });
  await server.listen();
});
after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const quote = (word: string): string => `'${word.replace(/'/g, `'\\''`)}'`;

test('on a terminal: a prompt, line editing, history, and doorbells while at the prompt', {
  timeout: 30_000,
}, async (t) => {
  const command = [process.execPath, MAIN, 'client', '-S', socketPath].map(quote).join(' ');
  const tty = new LineProcess(t, 'famez client on a pty', 'script', ['-qfec', command, '/dev/null']);
  const type = (keys: string): void => {
    tty.child.stdin.write(keys);
  };
  const id = Number(/our_id = (\d+)/.exec(await tty.line(/^connected to .*, our_id = \d+\r?$/))![1]);
  await tty.line(/int all: notify all vectors of all peers \(excepting us\)\r?$/); // the help, shown once

  type('dumx\x7fp\r'); // a typo, backspace, the right letter
  const first = await tty.lineIndex(new RegExp(`^our_id = ${id}\\r?$`));
  type('\x1b[A\r'); // up arrow: the last line again
  await tty.lineIndex(new RegExp(`^our_id = ${id}\\r?$`), 10_000, first + 1);
  assert.ok(!tty.stdout.some((line) => line.includes('invalid command')), tty.stdout.join('\n'));

  const peer = await connect({ path: socketPath });
  t.after(() => peer.close());
  peer.ring(id, 0);
  await tty.line(new RegExp(`receive notification from peer_id=${id} vector=0\\r?$`));

  type('quit\r');
  assert.deepEqual(await tty.exit(), { code: 0, signal: null });
});

test('on a terminal: after truncate -s 0 of the shm, read says in one line that the memory was cut, the client goes on, and reads again once it is whole', {
  timeout: 30_000,
}, async (t) => {
  const name = `famez-terminal-cut-${process.pid}`;
  const famezServer = new Famez(t, ['server', '-S', join(dir, 'cut-sock'), '-M', name, '-l', '64K']);
  await famezServer.line(/listening on /);
  t.after(async () => {
    famezServer.child.kill('SIGTERM');
    await famezServer.exit();
    rmSync(`/dev/shm/${name}`, { force: true }); // whatever the server made of a file cut under it
  });
  const command = [process.execPath, MAIN, 'client', '-S', join(dir, 'cut-sock')].map(quote).join(' ');
  const tty = new LineProcess(t, 'famez client on a pty', 'script', ['-qfec', command, '/dev/null']);
  await tty.line(/int all: notify all vectors of all peers \(excepting us\)\r?$/);
  tty.child.stdin.write('write 16 "abc"\r');
  await tty.line(/^wrote 3 bytes at 16\r?$/);

  const cut = (size: string): void =>
    assert.equal(spawnSync('truncate', ['-s', size, `/dev/shm/${name}`], { timeout: 10_000 }).status, 0);
  cut('0');
  tty.child.stdin.write('read 16 3\r');
  const warning = await tty.lineIndex(/^warning: the shared memory was cut by another process \(0 of 65536 bytes/);
  tty.child.stdin.write('dump\r');
  await tty.lineIndex(/^our_id = \d+\r?$/, 10_000, warning);
  assert.ok(tty.running, 'the client goes on');
  cut('64K');
  tty.child.stdin.write('read 16 3\r');
  // The cut took what was written: the memory is whole again, of zeros.
  await tty.lineIndex(/^00000010 {2}00 00 00 /, 10_000, warning);
  tty.child.stdin.write('quit\r');
  assert.deepEqual(await tty.exit(), { code: 0, signal: null });
  assert.deepEqual(
    tty.stdout.filter((line) => line.includes('mmap') || line.startsWith('famez:')),
    [],
    'no raw system error',
  );
});
