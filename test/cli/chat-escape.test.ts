// `famez chat` prints what peers wrote (names, messages) with control
// characters escaped, so a peer cannot move the cursor, recolour the terminal
// or forge a line; --json carries the text as it is.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { escapeControls } from '../../src/cli/terminal-text.js';
import { MailboxPeer } from '../fabric/mailbox-peer.js';
import { scratchFabric } from '../fabric/harness.js';
import { Famez } from './cli.js';

test('escapeControls makes C0 but tab, DEL, C1, line separators and bidi overrides visible; other text is untouched', {
  timeout: 5_000,
}, () => {
  assert.equal(
    escapeControls('a\x1b[31mb\nc\r\td\x07\x7f\x9b\u2028\u202e\u2066'),
    'a\\e[31mb\\nc\\r\td\\x07\\x7f\\x9b\\u{2028}\\u{202e}\\u{2066}',
  );
  assert.equal(
    escapeControls('plain text, ümlauts, 日本, emoji 🙂 and \\ backslash'),
    'plain text, ümlauts, 日本, emoji 🙂 and \\ backslash',
  );
});

test("famez chat escapes a peer's name and message on the terminal and keeps them raw in --json", {
  timeout: 30_000,
}, async (t) => {
  const fabric = await scratchFabric(t);
  const text = new Famez(t, ['chat', '-S', fabric.socketPath]);
  const json = new Famez(t, ['chat', '-S', fabric.socketPath, '--json']);
  const textId = Number(/This ID = +(\d+)/.exec(await text.line(/This ID = /))![1]);
  const jsonId = (JSON.parse(await json.line(/"event":"ready"/)) as { id: number }).id;
  const nodename = 'ev\x1b[2Jil';
  const forged = 'hi\x1b[31m\n2026-01-01 forged line\u202e';
  const peer = await MailboxPeer.connect(fabric.socketPath, { nodename, cclass: 'Debugger' });
  t.after(() => peer.close());
  await peer.send(textId, forged);
  const line = await text.line(/^ *ev.* -> "/);
  assert.equal(line.trim(), 'ev\\e[2Jil -> "hi\\e[31m\\n2026-01-01 forged line\\u{202e}" (1)');
  assert.ok(!text.stdout.some((out) => /\x1b|forged line$/.test(out)), 'no raw escape and no line of its own');
  await peer.send(jsonId, forged);
  const event = JSON.parse(await json.line(/"event":"message".*forged/)) as { nodename: string; body: string };
  assert.deepEqual({ nodename: event.nodename, body: event.body }, { nodename, body: forged });
});
