// The web options as a careless user gives them: a token file others can
// read, a token with white space inside, a public address without a token,
// any valid port, host names for a reverse proxy.
import { strict as assert } from 'node:assert';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseListenAddress, readToken } from '../../src/web/index.js';
import { famez, Famez } from '../cli/cli.js';
import { tempDir } from '../server/helpers.js';
import { call, TOKEN } from './web-harness.js';

test('a token file others can read or change, or with white space inside, is refused naming the file and the fix', {
  timeout: 30_000,
}, (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'token');
  writeFileSync(file, `${TOKEN}\n`, { mode: 0o600 });
  assert.equal(readToken(file), TOKEN);
  for (const mode of [0o644, 0o640, 0o604, 0o620, 0o660]) {
    chmodSync(file, mode);
    assert.throws(
      () => readToken(file),
      new RegExp(
        `${file} is mode 0${mode.toString(8)}: other users could read or change the token; run chmod 600 ${file}`,
      ),
    );
  }
  chmodSync(file, 0o600);
  for (const text of [`${TOKEN} ${TOKEN}`, `${TOKEN}\n${TOKEN}\n`, `${TOKEN}\t!`]) {
    writeFileSync(file, text);
    assert.throws(() => readToken(file), /holds white space inside: it could never match/);
  }
  writeFileSync(file, `  ${TOKEN}\n\n`);
  assert.equal(readToken(file), TOKEN, 'white space around it is no part of it');
  writeFileSync(file, `${TOKEN}\n`, { mode: 0o644 });
  chmodSync(file, 0o644);
  const result = famez([
    'fabric',
    '-S',
    join(dir, 'sock'),
    '-M',
    join(dir, 'mailbox'),
    '--http',
    '0',
    '--http-token',
    file,
  ]);
  assert.equal(result.status, 2);
  assert.match(result.stderr, /invalid value for --http-token: .* is mode 0644: .*chmod 600/);
  assert.equal(result.stderr.trim().split('\n').length, 1, 'one line');
});

test('--http takes every valid port alone or with an address', { timeout: 30_000 }, () => {
  for (const [text, expected] of [
    ['80', { host: '127.0.0.1', port: 80 }],
    ['0', { host: '127.0.0.1', port: 0 }],
    ['65535', { host: '127.0.0.1', port: 65535 }],
    ['1991', { host: '127.0.0.1', port: 1991 }],
    ['127.0.0.1:80', { host: '127.0.0.1', port: 80 }],
    ['[::1]:8080', { host: '::1', port: 8080 }],
    ['0.0.0.0:8080', { host: '0.0.0.0', port: 8080 }],
  ] as const)
    assert.deepEqual(parseListenAddress(text), expected, text);
  assert.throws(() => parseListenAddress('65536'), /"65536" is no port: use 0 to 65535/);
  assert.throws(() => parseListenAddress('localhost'), /has no port/);
  const result = famez(['server', '--http', '99999']);
  assert.equal(result.status, 2);
  assert.match(result.stderr, /--http: "99999" is no port/);
});

test('--http on a non-loopback address needs a token, or --http-public for a read-only API (then a warning)', {
  timeout: 30_000,
}, async (t) => {
  const dir = tempDir(t);
  for (const address of ['0.0.0.0:0', '[::]:0', '192.0.2.1:8080', 'example.com:8080']) {
    const refused = famez(['server', '-S', join(dir, 'sock'), '-m', dir, '-l', '64K', '--http', address]);
    assert.equal(refused.status, 2, address);
    assert.match(
      refused.stderr,
      /serves beyond this machine without --http-token: give a token \(--http-token FILE\), listen on 127\.0\.0\.1, or accept a read-only public API with --http-public/,
    );
  }
  for (const [args, message] of [
    [['--http-public'], /--http-public needs --http/],
    [['--http-allow-host', 'proxy.example'], /--http-allow-host needs --http/],
    [['--http', '0', '--http-allow-host', 'a b'], /"a b" is no host name/],
  ] as const) {
    const result = famez(['server', ...args]);
    assert.equal(result.status, 2, args.join(' '));
    assert.match(result.stderr, message);
  }
  const server = new Famez(t, [
    'server',
    '-S',
    join(dir, 'sock'),
    '-m',
    dir,
    '-l',
    '64K',
    '--http',
    '0.0.0.0:0',
    '--http-public',
    '--http-allow-host',
    'famez.proxy.example',
  ]);
  const warning = await server.line(/open to the network without a token/);
  assert.match(
    warning,
    /warning: the web API on http:\/\/0\.0\.0\.0:\d+ is open to the network without a token \(--http-public\)/,
  );
  const url = /web on (http:\/\/\S+)\/ /.exec(await server.line(/web on /))![1]!;
  const port = new URL(url).port;
  const server2 = await call(`http://127.0.0.1:${port}/api/v1/server`, 'GET', { Host: `famez.proxy.example:${port}` });
  assert.equal(server2.status, 200, "the proxy's name is this server");
  assert.deepEqual(((await server2.json()) as { write: boolean; token: boolean }).write, false);
  assert.equal(
    (await call(`http://127.0.0.1:${port}/api/v1/server`, 'GET', { Host: `other.example:${port}` })).status,
    421,
  );
});
