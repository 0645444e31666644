// `famez chat` on a real terminal (a pty from util-linux's `script`): a short
// banner instead of the whole help, and a message that comes while the user
// types goes above the prompt, which is drawn again with what was typed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LineProcess } from '../helpers/line-process.js';
import { scratchFabric } from '../fabric/harness.js';
import { MAIN } from './cli.js';

const quote = (word: string): string => `'${word.replace(/'/g, `'\\''`)}'`;
/** A terminal line as the user sees it: without carriage returns and escape sequences. */
const seen = (line: string): string => line.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');

test('on a terminal: a short banner (help on help); a message while typing redraws the prompt and the typed text', {
  timeout: 30_000,
}, async (t) => {
  const fabric = await scratchFabric(t);
  const command = [process.execPath, MAIN, 'chat', '-S', fabric.socketPath].map(quote).join(' ');
  const tty = new LineProcess(t, 'famez chat on a pty', 'script', ['-qfec', command, '/dev/null']);
  const type = (keys: string): void => {
    tty.child.stdin.write(keys);
  };
  await tty.line(/type help for the commands, quit \(or Ctrl-D\) to leave/);
  await tty.line(/Link CTL ACK/); // the switch answered the chat's greeting: it is at its prompt
  assert.ok(
    !tty.stdout.some((line) => line.includes('sp[oof]')),
    `no whole help at the start:\n${tty.stdout.join('\n')}`,
  );

  type('hel');
  // The echo of what was typed is on the terminal before the message comes (readline may echo key by key).
  await new Promise<void>((resolve) => {
    let raw = '';
    const look = (chunk: Buffer): void => {
      raw += chunk.toString();
      if (seen(raw).includes('hel')) {
        tty.child.stdout.off('data', look);
        resolve();
      }
    };
    tty.child.stdout.on('data', look);
  });
  await fabric.send(1, 'hello while you type');
  const at = await tty.lineIndex(/Z-switch -> "hello while you type"/);
  type('p\r');
  await tty.line(/sp\[oof\] src dest/); // the whole help, on help
  assert.equal(
    seen(tty.stdout[at + 1]!),
    'z01> help',
    `the prompt and "hel" again under the message:\n${tty.stdout.join('\n')}`,
  );

  type('quit\r');
  assert.deepEqual(await tty.exit(), { code: 0, signal: null });
});
