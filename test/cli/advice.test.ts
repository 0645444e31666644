// Errors that say what to do, alike in every command: a port in use names
// --http; a missing socket lists the famez sockets that exist before it
// suggests starting one; a refusal names the stop command as the user ran
// famez (npx); a mistyped option or command gets the nearest one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer as listenTcp } from 'node:net';
import { createServer } from '../../src/index.js';
import { join } from 'node:path';
import { createFabric } from '../../src/fabric/index.js';
import { formatProcessId, processId } from '../../src/lab/process-id.js';
import { famezAsync as famez } from './cli.js';
import { tempDir } from '../server/helpers.js';

test('--http on a port in use: famez fabric and famez server name the option to change (the lab says it in the same words)', async (t) => {
  const taken = listenTcp();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  t.after(() => taken.close());
  const port = (taken.address() as { port: number }).port;
  const dir = tempDir(t);
  const runs = await Promise.all([
    famez(['fabric', '-S', join(dir, 'f.sock'), '-M', `famez-advice-${process.pid}`, '--http', String(port)]),
    famez(['server', '-S', join(dir, 's.sock'), '-m', dir, '--http', String(port)]),
  ]);
  for (const run of runs) {
    assert.equal(run.status, 1, run.stderr);
    assert.match(
      run.stderr,
      new RegExp(`cannot serve http on 127\\.0\\.0\\.1:${port}: the port is in use .*: choose another with --http`),
    );
  }
});

test('a mistyped socket: the famez sockets that exist (the running lab’s) come before the suggestion to start one', async (t) => {
  const runtime = tempDir(t);
  mkdirSync(join(runtime, 'famez-lab'), { mode: 0o700 });
  const labSocket = join(runtime, 'famez-lab', 'fabric.sock');
  const fabric = createFabric({ socketPath: labSocket, mailbox: join(runtime, 'mailbox') });
  t.after(() => fabric.close());
  await fabric.listen();
  const typo = join(runtime, 'famez-lab', 'fabric.sokc');
  const env = { ...process.env, XDG_RUNTIME_DIR: runtime, npm_lifecycle_event: 'npx' };
  const chat = await famez(['chat', '-S', typo, '-c', 'who'], 10_000, env);
  assert.equal(chat.status, 1);
  assert.ok(
    chat.stderr.includes(
      `famez sockets here: ${labSocket} (the running lab): give one with -S; or start one with npx famez fabric -S ${typo}`,
    ),
    chat.stderr,
  );
  // And the listed one is the lab's fabric.
  assert.equal((await famez(['chat', '-S', labSocket, '-c', 'ping server'], 10_000, env)).status, 0);
  // A mistyped console command: the nearest one.
  const typed = await famez(['chat', '-S', labSocket, '-c', 'pnig server'], 10_000, env);
  assert.equal(typed.status, 1);
  assert.match(typed.stdout, /Unrecognized command "pnig": did you mean ping\?, try "help"/);
});

test('run through npx, the refusal of a second lab says npx famez lab down', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, '.famez-lab'), 'made by famez lab\n');
  writeFileSync(join(dir, 'lab.pid'), formatProcessId(processId(process.pid)!)); // this process stands for the running lab
  // The refusal comes before QEMU runs: a stand-in on PATH will do where QEMU is not installed.
  const bin = tempDir(t);
  writeFileSync(join(bin, 'qemu-system-x86_64'), '#!/bin/sh\nexit 1\n', { mode: 0o755 });
  const env = { ...process.env, PATH: `${process.env.PATH}:${bin}`, npm_lifecycle_event: 'npx' };
  const lab = await famez(['lab', '--tcg', '--dir', dir], 20_000, env);
  assert.equal(lab.status, 1, lab.stderr);
  assert.ok(
    lab.stderr.includes(
      `a lab is already running in ${dir} (pid ${process.pid}): stop it with npx famez lab down --dir ${dir}`,
    ),
    lab.stderr,
  );
});

test('run through npx, a chat against a server that is no fabric says npx famez fabric', async (t) => {
  const dir = tempDir(t);
  const server = createServer({ socketPath: join(dir, 'sock'), memory: { kind: 'memfd', size: 1 << 16 }, vectors: 4 });
  t.after(() => server.close());
  await server.listen();
  const env = { ...process.env, npm_lifecycle_event: 'npx' };
  const chat = await famez(['chat', '-S', join(dir, 'sock'), '-c', 'who'], 10_000, env);
  assert.equal(chat.status, 1);
  assert.match(chat.stderr, /the server is not an IVSHMSG fabric \(start one with npx famez fabric\)\n$/);
});

test('a mistyped option, command or console command: did you mean the nearest one', async () => {
  const sockt = await famez(['chat', '--sockt', '/tmp/x']);
  assert.equal(sockt.status, 2);
  assert.match(
    sockt.stderr,
    /^famez chat: unknown option --sockt: did you mean --socketpath\? \(see famez chat --help\)/,
  );
  const server = await famez(['server', '--verbse']);
  assert.match(server.stderr, /unknown option --verbse: did you mean --verbose\?/);
  const command = await famez(['fabrc']);
  assert.equal(command.status, 2);
  assert.match(command.stderr, /^famez: unknown command "fabrc": did you mean fabric\?/);
  const far = await famez(['server', '--xyzzy']);
  assert.doesNotMatch(far.stderr, /did you mean/, 'nothing near: no guess');
});
