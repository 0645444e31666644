// Another local user (nobody, through setpriv) against a fabric run by this
// one: it reaches 127.0.0.1 like anyone, but without the token it reads no
// message text from the stream or the API, and cannot read the token file.
import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { LineProcess } from '../helpers/line-process.js';
import { tempDir } from '../server/helpers.js';
import { startWeb, TOKEN } from './web-harness.js';

/** Run as nobody: prints the token file's fate, the API's view, then every stream event it gets. */
const SNOOP = `
const [url, tokenFile] = process.argv.slice(1);
try { (await import('node:fs')).readFileSync(tokenFile); console.log('token file: read'); } catch (error) { console.log('token file: ' + error.code); }
const server = await (await fetch(url + '/api/v1/server')).json();
console.log('server: messageText=' + server.messageText);
console.log('peers: ' + JSON.stringify((await (await fetch(url + '/api/v1/peers')).json()).peers.map((p) => [p.id, p.nodename])));
const res = await fetch(url + '/api/v1/events');
console.log('stream: ' + res.status);
const decoder = new TextDecoder();
for await (const chunk of res.body) for (const line of decoder.decode(chunk, { stream: true }).split('\\n')) if (line.startsWith('data:') || line.startsWith('event:')) console.log(line);
`;

test('another local user reads names, ids and sizes but no message text, and not the token', {
  timeout: 30_000,
}, async (t) => {
  if (process.getuid?.() !== 0) {
    t.skip('needs root: setpriv --reuid=nobody changes user only for root');
    return;
  }
  const dir = tempDir(t);
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, TOKEN, { mode: 0o600 });
  const h = await startWeb(t, { token: TOKEN });
  const nobody = new LineProcess(t, 'nobody', 'setpriv', [
    '--reuid=nobody',
    '--regid=nogroup',
    '--clear-groups',
    process.execPath,
    '--input-type=module',
    '-e',
    SNOOP,
    h.url,
    tokenFile,
  ]);
  assert.match(await nobody.line(/^token file: /), /^token file: EACCES$/);
  assert.equal(await nobody.line(/^server: /), 'server: messageText=false');
  await nobody.line(/^stream: 200$/);
  const peer = await h.peer({ nodename: 'z01', cclass: 'Debugger' });
  await peer.send(peer.serverId, 'secret-password-123');
  const message = await nobody.line(/^data: .*"from":1,"to":15/);
  assert.match(message, /"nodename":"z01".*"bytes":19/);
  await peer.send(peer.serverId, 'ping');
  await peer.expect(peer.serverId, 'pong');
  await nobody.line(/^data: .*"from":15,"to":1,"bytes":\d+/);
  assert.ok(
    !nobody.stdout.some((line) => /secret-password|"body"|"text":"pong/.test(line)),
    `nobody saw no text: ${nobody.stdout.join(' | ')}`,
  );
  nobody.child.kill();
  await nobody.exited;
  await h.done();
});
