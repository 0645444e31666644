// `famez client` on a real terminal (a pty from util-linux's `script`): the
// prompt, line editing, history, and doorbells printed while it waits for input.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, createServer, type FamezServer } from '../../src/index.js';
import { MAIN } from '../cli/cli.js';
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
