// The packed tarball, installed as a user without a compiler installs it: into
// an empty project, offline, with no g++, gcc, cc, make or Python on PATH; then
// `npx famez server` and `npx famez client` from that project.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../helpers/fds.js';
import { pack, plainEnv, ROOT, run, toolchainFreeBin } from './package.js';

test('npm pack gives a tarball that installs and runs with no compiler, make or Python', {
  timeout: 120_000,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'famez-install-'));
  const shm = `famez-install-${process.pid}`;
  try {
    const tarball = pack(dir);
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };

    // A machine with Node.js and npm only: no toolchain, no registry, a fresh home and cache.
    const bin = toolchainFreeBin(join(dir, 'bin'));
    mkdirSync(join(dir, 'home'));
    const env = plainEnv({
      PATH: bin,
      HOME: join(dir, 'home'),
      npm_config_cache: join(dir, 'cache'),
      npm_config_offline: 'true',
      npm_config_audit: 'false',
      npm_config_fund: 'false',
      npm_config_update_notifier: 'false',
    });
    for (const tool of ['g++', 'gcc', 'cc', 'make', 'python3', 'python']) {
      assert.notEqual(spawnSync('sh', ['-c', `command -v ${tool}`], { env }).status, 0, `${tool} is hidden`);
    }

    const app = join(dir, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), '{ "name": "app", "version": "1.0.0", "private": true }\n');
    run('npm', ['install', '--foreground-scripts', tarball], { cwd: app, env });
    const installed = join(app, 'node_modules', 'famez');
    assert.deepEqual(readdirSync(join(installed, 'prebuilds')), ['linux-x64']);
    assert.ok(!existsSync(join(installed, 'build')), 'nothing was compiled');
    for (const file of ['build.sh', 'init', 'agent.c'])
      assert.ok(existsSync(join(installed, 'guest-agent', file)), `famez lab's guest-agent/${file} is packed`);

    const npx = (args: string[]) => run('npx', ['famez', ...args], { cwd: app, env, timeout: 20_000 }).stdout;
    assert.equal(npx(['--version']), `famez ${version}\n`);
    assert.match(npx(['help', 'client']), /^Usage: famez client \[options\]/);
    // --cluster loads NATS's client from the bundle: it gets as far as trying to connect.
    const cluster = spawnSync(
      'npx',
      ['famez', 'server', '-S', join(dir, 'cluster.sock'), '--cluster', 'nats://127.0.0.1:9', '--node', 'installed'],
      { cwd: app, env, encoding: 'utf8', timeout: 20_000 },
    );
    assert.match(cluster.stderr, /cannot reach NATS at nats:\/\/127\.0\.0\.1:9: /, cluster.stderr);

    const socket = join(dir, 'sock');
    const pidFile = join(dir, 'pid');
    const server = spawn('npx', ['famez', 'server', '-S', socket, '-M', shm, '-l', '1M', '-n', '2', '-p', pidFile], {
      cwd: app,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    server.stdout.on('data', (chunk: Buffer) => {
      log += chunk.toString();
    });
    server.stderr.on('data', (chunk: Buffer) => {
      log += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => server.on('exit', resolve));
    let exit: number | null | undefined;
    void exited.then((code) => {
      exit = code;
    });
    try {
      await waitFor(
        () => {
          if (exit !== undefined) throw new Error(`npx famez server exited ${exit}: ${log}`);
          return log.includes(`listening on ${socket}: shm ${shm} (1 MiB), 2 vectors`) && existsSync(pidFile);
        },
        'the installed server to listen',
        20_000,
      );

      const output = npx([
        'client',
        '-S',
        socket,
        '-c',
        'dump; write 0 "installed"; read 0 9; int 0 1; wait doorbell 1 5',
      ]);
      assert.match(output, /^our_id = 0\n {2}vector 0 is enabled \(fd=\d+\)\n {2}vector 1 is enabled \(fd=\d+\)$/m);
      assert.match(output, /\|installed\|/);
      assert.match(output, /^receive notification from peer_id=0 vector=1$/m);
      await waitFor(
        () => /peer 0 joined \(pid \d+, uid \d+, gid \d+\)/.test(log),
        'the server to log the client',
        5000,
      );
    } finally {
      // npx runs the server as its child: stop the server itself, then npx ends.
      if (existsSync(pidFile)) process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGTERM');
      else server.kill('SIGTERM');
    }
    assert.equal(await exited, 0, log);
    assert.ok(!existsSync(socket), 'the server removed its socket');
  } finally {
    rmSync(`/dev/shm/${shm}`, { force: true });
    rmSync(dir, { recursive: true, force: true });
  }
});
