// Commands famez prints for the user to run work as printed, from where the
// user is: `famez` when that is this famez on PATH, `npx famez` through npx,
// else this script's absolute path. And a hint names the command that fixes
// the problem: `famez chat` with no fabric says to start `famez fabric`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, symlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { LineProcess } from '../helpers/line-process.js';
import { tempDir } from '../server/helpers.js';
import { shellWord } from '../../src/lab/qemu-args.js';
import { MAIN } from './cli.js';

const REPO = resolve(dirname(MAIN), '../../..');
/** A PATH with node and the system's tools, without any famez. */
const BARE_PATH = [dirname(process.execPath), '/usr/local/bin', '/usr/bin', '/bin'].join(':');

function run(
  program: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
): Promise<{ status: number; stderr: string }> {
  return new Promise((done) => {
    execFile(program, args, { ...options, encoding: 'utf8', timeout: 30_000 }, (error, _stdout, stderr) => {
      done({ status: error ? Number((error as { code?: unknown }).code ?? 1) : 0, stderr });
    });
  });
}

test('famez chat with no fabric names famez fabric as the user can run it, and that command, run as printed from elsewhere, starts one', {
  timeout: 60_000,
}, async (t) => {
  const dir = tempDir(t);
  const socket = join(dir, 'fab sock');
  const env = { ...process.env, PATH: BARE_PATH, npm_lifecycle_event: undefined };
  const chat = await run(process.execPath, [MAIN, 'chat', '-S', socket, '-c', 'who'], { cwd: tmpdir(), env });
  assert.equal(chat.status, 1);
  const hint = /: start one with (.+)\n$/.exec(chat.stderr)?.[1];
  assert.equal(hint, `${shellWord(MAIN)} fabric -S '${socket}'`, chat.stderr);

  // The printed command, typed into a shell in another directory, starts the fabric the chat wanted.
  const fabric = new LineProcess(t, 'the printed command', '/bin/sh', ['-c', `cd / && exec ${hint}`]);
  await fabric.line(/listening on/, 30_000);
  const again = await run(process.execPath, [MAIN, 'chat', '-S', socket, '-c', 'ping server'], {
    cwd: tmpdir(),
    env,
  });
  assert.equal(again.status, 0, again.stderr);
  fabric.child.kill('SIGTERM');
  await fabric.exit();

  const client = await run(process.execPath, [MAIN, 'client', '-S', socket], { cwd: tmpdir(), env });
  assert.ok(
    client.stderr.endsWith(`: start one with ${shellWord(MAIN)} server -S '${socket}'\n`),
    `famez client: famez server (${client.stderr})`,
  );
});

test('with this famez on PATH the hint says famez; through npx it says npx famez', { timeout: 60_000 }, async (t) => {
  const bin = join(tempDir(t), 'bin');
  mkdirSync(bin);
  symlinkSync(MAIN, join(bin, 'famez'));
  const env = { ...process.env, PATH: `${bin}:${BARE_PATH}`, npm_lifecycle_event: undefined };
  const onPath = await run(join(bin, 'famez'), ['chat'], { cwd: tmpdir(), env });
  assert.match(onPath.stderr, /: start one with famez fabric\n$/);

  const npx = await new Promise<string>((done) => {
    const child = spawn('npx', ['--no-install', 'famez', 'chat', '-S', '/nonexistent/famez.sock'], {
      cwd: REPO,
      env: { ...process.env, PATH: BARE_PATH },
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('close', () => done(stderr));
  });
  assert.match(npx, /: start one with npx famez fabric -S \/nonexistent\/famez\.sock\n$/);
});
