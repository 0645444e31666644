// The switched fabric's console on a terminal: fault commands change what
// passes, are logged, and show in faults and counters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { MAIN } from './cli.js';
import { LineProcess } from '../helpers/line-process.js';
import { sleep, tempDir, waitFor } from '../server/helpers.js';
import { MailboxPeer } from '../fabric/mailbox-peer.js';

test("famez fabric --switched on a terminal: isolate stops a peer's doorbells, faults and counters show it, rejoin lets them through", {
  timeout: 30_000,
}, async (t) => {
  const dir = tempDir(t);
  const socket = join(dir, 'sock');
  const quote = (word: string): string => `'${word.replace(/'/g, `'\\''`)}'`;
  const command = [process.execPath, MAIN, 'fabric', '--switched', '-S', socket, '-M', join(dir, 'mailbox')]
    .map(quote)
    .join(' ');
  const tty = new LineProcess(t, 'famez fabric --switched on a pty', 'script', ['-qfec', command, '/dev/null']);
  await tty.line(/listening on /);
  const a = await MailboxPeer.connect(socket, { nodename: 'alpha', cclass: 'Debugger' });
  const b = await MailboxPeer.connect(socket, { nodename: 'beta', cclass: 'Debugger' });
  t.after(() => {
    a.close();
    b.close();
  });
  const type = (line: string): void => {
    tty.child.stdin.write(`${line}\r`);
  };
  const after = (pattern: RegExp): Promise<number> => tty.lineIndex(pattern, 10_000, tty.stdout.length);

  await waitFor(() => a.client.peers.has(b.id), 'A knows B');
  await a.send(b.id, 'through');
  await b.expect(a.id, 'through');

  const isolated = after(/fault: .*peer:2.*down|fault: isolate 2/);
  type('isolate 2');
  await isolated;
  type('faults');
  await tty.line(/^peer:2\s+.*down/);
  await a.send(b.id, 'lost');
  await sleep(100);
  assert.deepEqual(b.received, [], 'the doorbell to an isolated peer is dropped');

  const counted = after(/^peer:2\s+\d+\s+[1-9]\d*\s/);
  type('counters');
  await counted;

  const rejoined = after(/fault: .*peer:2.*up|fault: rejoin 2/);
  type('rejoin 2');
  await rejoined;
  // The lost message still waits in A's slot; ringing again delivers it.
  a.client.ring(b.id, a.id);
  await b.expect(a.id, 'lost');
  type('bogus 7');
  await tty.line(/unknown command "bogus 7": try help/);
  type('fualts');
  await tty.line(/unknown command "fualts": did you mean faults\?: try help/);
  type('quit');
  assert.deepEqual(await tty.exit(), { code: 0, signal: null });
});
