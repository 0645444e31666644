// A peer's nodename is its own text: in the fabric's log and in the /metrics
// nodename label its control characters, line and paragraph separators and
// bidi controls appear escaped (one function serves both), never raw.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Famez } from './cli.js';
import { MailboxPeer } from '../fabric/mailbox-peer.js';
import { tempDir } from '../server/helpers.js';

const NAME = 'e\u202eR\u2028L\x1b[31m\rX\u2066';
const ESCAPED = 'e\\u{202e}R\\u{2028}L\\x1b[31m\\rX\\u{2066}';
const RAW = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

test("a nodename's escapes, separators and bidi controls are escaped in the log and in /metrics", {
  timeout: 30_000,
}, async (t) => {
  const dir = tempDir(t);
  const socket = join(dir, 'sock');
  const fabric = new Famez(t, ['fabric', '-S', socket, '-M', join(dir, 'mb'), '--http', '127.0.0.1:0']);
  const url = /web on (http:\S+?)\/ /.exec(await fabric.line(/web on http:/))![1]!;
  const peer = await MailboxPeer.connect(socket, { nodename: NAME, cclass: 'Test' });
  await peer.send(peer.serverId, 'ping');
  await peer.expect(peer.serverId, 'pong');
  const metrics = await (await fetch(`${url}/metrics`)).text();
  const label = metrics.split('\n').find((line) => line.startsWith('famez_port_messages_total{port="1"'));
  assert.ok(label, metrics);
  assert.doesNotMatch(label, RAW, 'no raw control, separator or bidi character in the label');
  assert.ok(label.includes(`nodename="${ESCAPED.replaceAll('\\', '\\\\')}"`), label);
  peer.close();
  const gone = await fabric.line(/^\S+ peer 1 .* gone: disconnected$/);
  assert.ok(gone.includes(`peer 1 (${ESCAPED}) gone`), gone);
  assert.doesNotMatch(fabric.stdout.join('\n'), RAW);
});
