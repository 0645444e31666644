// --http and --http-token on the command line.
import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { famez, Famez } from '../cli/cli.js';
import { tempDir } from '../server/helpers.js';
import { call, TOKEN } from './web-harness.js';

test('famez fabric --http serves the API on loopback; the log line says where', async (t) => {
  const dir = tempDir(t);
  const token = join(dir, 'token');
  writeFileSync(token, `${TOKEN}\n`, { mode: 0o600 });
  const fabric = new Famez(t, [
    'fabric',
    '-S',
    join(dir, 'sock'),
    '-M',
    join(dir, 'mailbox'),
    '--http',
    '0',
    '--http-token',
    token,
  ]);
  const line = await fabric.line(/web on (http:\/\/\S+)\/ /);
  const url = /web on (http:\/\/\S+)\/ /.exec(line)![1]!;
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
  const server = await (await call(`${url}/api/v1/server`, 'GET')).json();
  assert.deepEqual({ kind: server.kind, write: server.write }, { kind: 'fabric', write: true });
});

test('bad --http values and a token without --http are usage errors', () => {
  for (const [args, message] of [
    [['server', '--http', 'nowhere'], /--http: "nowhere" has no port/],
    [['fabric', '--http', '1.2.3.4:99999'], /--http/],
    [['fabric', '--http-token', '/nonexistent'], /--http-token needs --http/],
    [['fabric', '--http', '8080', '--http-token', '/nonexistent'], /--http-token/],
  ] as const) {
    const result = famez([...args]);
    assert.equal(result.status, 2, args.join(' '));
    assert.match(result.stderr, message);
  }
});

test('famez fabric --switched --http: a fault posted with the token is applied, listed and logged; without the token or with a bad link, refused', async (t) => {
  const dir = tempDir(t);
  const token = join(dir, 'token');
  writeFileSync(token, `${TOKEN}\n`, { mode: 0o600 });
  const fabric = new Famez(t, [
    'fabric',
    '--switched',
    '-S',
    join(dir, 'sock'),
    '-M',
    join(dir, 'mailbox'),
    '--http',
    '0',
    '--http-token',
    token,
  ]);
  const url = /web on (http:\/\/\S+)\/ /.exec(await fabric.line(/web on (http:\/\/\S+)\/ /))![1]!;
  const post = (body: unknown, auth = true): Promise<Response> =>
    call(
      `${url}/api/v1/faults`,
      'POST',
      { 'content-type': 'application/json', ...(auth ? { authorization: `Bearer ${TOKEN}` } : {}) },
      JSON.stringify(body),
    );
  assert.equal((await post({ command: 'isolate 1' }, false)).status, 401, 'no token, no change');
  const applied = await post({ command: 'isolate 1' });
  assert.equal(applied.status, 200, await applied.clone().text());
  await fabric.line(/fault: link peer:1 down/);
  assert.match(await (await call(`${url}/api/v1/faults`, 'GET')).text(), /peer:1/);
  const bad = await post({ command: 'latency nowhere 5' });
  assert.equal(bad.status, 400);
  assert.match(await bad.text(), /nowhere/);
});
