// No message text reaches a reader without the token, in any event: the
// switch's warnings about a NAK, an RFC's TTC, a Standalone Acknowledgment's
// tag and reason, and unknown requests (one with a double quote in it, which
// once slipped past a redaction by pattern) all come with sizes instead.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { EventClient } from './event-client.js';
import { startWeb, TOKEN } from './web-harness.js';

const BODIES = [
  'Link CTL NAK my-secret-1',
  'Link RFC TTC=my-secret-2',
  'Standalone Acknowledgment Tag=my-secret-3,Reason=OK',
  'Standalone Acknowledgment Tag=my-secret-4',
  'Link CTL my-secret-5',
  'x"my-secret-6',
  '"my-secret-7"',
  '"a" my-secret-8 "b"',
];

test('without the token, no warning carries message text, whatever quotes it holds; with it, every warning does', {
  timeout: 60_000,
}, async (t) => {
  const h = await startWeb(t, { token: TOKEN });
  const anonymous = await EventClient.open(h.url);
  const holder = await EventClient.open(h.url, { Authorization: `Bearer ${TOKEN}` });
  // One peer each: the switch says at most one warning a second per port.
  for (const [i, body] of BODIES.entries()) {
    const peer = await h.peer({ nodename: `z0${i}`, cclass: 'Debugger' });
    await peer.send(peer.serverId, body);
    const secret = `my-secret-${i + 1}`;
    await holder.expect('warning', (data) => String(data.text).includes(secret));
    const seen = await anonymous.expect('warning', (data) => String(data.text).startsWith(`z0${i} `));
    assert.match(String(seen.data.text), /\(\d+ bytes\)/, `the size in its place: ${seen.data.text}`);
  }
  const leaked = anonymous.events.filter((event) => JSON.stringify(event).includes('my-secret'));
  assert.deepEqual(leaked, [], 'no message text in the anonymous stream');
  await Promise.all([anonymous.close(), holder.close()]);
  await h.done();
});
