// `famez server` as a child process: options, logging, pid file, signals,
// daemon mode, crash recovery.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { join } from 'node:path';
import { connect } from '../../src/client/index.js';
import { sleep, tempDir, waitFor } from '../server/helpers.js';
import { famez, Famez, MAIN } from './cli.js';

test('famez server --help exits 0 and lists the QEMU server options', { timeout: 60_000 }, () => {
  const { status, stdout, stderr } = famez(['server', '--help']);
  assert.equal(status, 0);
  assert.equal(stderr, '');
  for (const option of ['-S', '-M', '-m', '-f', '-l', '-n', '-p', '-d', '-t']) {
    assert.match(stdout, new RegExp(`^\\s+${option}, --`, 'm'), `${option} is not listed`);
  }
  assert.equal(famez(['server', '-h']).status, 0);
});

test('bad options exit 2 with one line on stderr naming the option', { timeout: 60_000 }, (t) => {
  const dir = tempDir(t);
  const sock = join(dir, 'sock');
  const cases: [string[], RegExp][] = [
    [['--bogus'], /--bogus/],
    [['-X'], /-X/],
    [['-n', '0'], /--vectors|-n/],
    [['-n', '300'], /--vectors|-n/],
    [['-n', 'two'], /--vectors|-n/],
    [['-l', '5Q'], /--size|-l/],
    [['-l', '1K'], /--size|-l/],
    [['--protocol', 'x'], /--protocol/],
    [['--ids', 'sequential'], /--ids/],
    [['-f', join(dir, 'mem'), '-M', 'name'], /(--file|-f).*(--shm-name|-M)|(--shm-name|-M).*(--file|-f)/],
    [['-S'], /-S|--socket-path/],
    [['extra'], /extra/],
    [['-t', '-f', join(dir, 'mem')], /--truncate|-t/],
    [['--socket-mode', '999'], /--socket-mode/],
    [['--max-peers', '0'], /--max-peers/],
    [['--log-format', 'xml'], /--log-format/],
  ];
  for (const [args, names] of cases) {
    const { status, stdout, stderr } = famez(['server', '-S', sock, ...args]);
    const what = `famez server ${args.join(' ')}`;
    assert.equal(status, 2, `${what}: exit status`);
    assert.equal(stdout, '', `${what}: stdout`);
    assert.ok(stderr.endsWith('\n'), `${what}: stderr ends a line`);
    assert.equal(stderr.trimEnd().split('\n').length, 1, `${what}: one line, got ${JSON.stringify(stderr)}`);
    assert.match(stderr, names, `${what}: ${stderr}`);
    assert.equal(existsSync(sock), false, `${what}: created the socket`);
  }
  assert.equal(existsSync(join(dir, 'mem')), false);
});

test('a server logs, writes its pid file, logs peers, and on SIGTERM exits 0 and cleans up', {
  timeout: 60_000,
}, async (t) => {
  const dir = tempDir(t);
  const sock = join(dir, 'sock');
  const pidFile = join(dir, 'pid');
  const mem = join(dir, 'mem.img');
  const server = new Famez(t, ['server', '-S', sock, '-f', mem, '-l', '1M', '-p', pidFile]);
  const listening = await server.line(/listening/);
  assert.ok(listening.includes(sock), listening);
  assert.equal(readFileSync(pidFile, 'utf8').trim(), String(server.pid));
  assert.ok(lstatSync(sock).isSocket());
  assert.equal(statSync(sock).mode & 0o777, 0o600);
  assert.equal(statSync(mem).size, 1 << 20);

  const client = await connect({ path: sock });
  t.after(() => client.close());
  const joined = await server.line(/joined/);
  assert.match(joined, new RegExp(`peer ${client.id}\\b`));
  assert.match(joined, new RegExp(`pid ${process.pid}\\b`));
  assert.match(joined, new RegExp(`uid ${process.getuid!()}\\b`));
  client.close();
  await server.line(/peer 0 gone|left/);

  server.child.kill('SIGTERM');
  const { code, signal } = await server.exit();
  assert.equal(signal, null);
  assert.equal(code, 0);
  assert.equal(existsSync(sock), false, 'socket left behind');
  assert.equal(existsSync(pidFile), false, 'pid file left behind');
  assert.equal(statSync(mem).size, 1 << 20, 'the memory file stays');
  assert.deepEqual(server.stderr.filter(Boolean), []);
});

test('a second server on the same socket exits 1 with a one-line error; the first keeps serving', {
  timeout: 60_000,
}, async (t) => {
  const dir = tempDir(t);
  const sock = join(dir, 'sock');
  const first = new Famez(t, ['server', '-S', sock, '-m', dir, '-l', '1M']);
  await first.line(/listening/);
  const { status, stdout, stderr } = famez(['server', '-S', sock, '-m', dir, '-l', '1M']);
  assert.equal(status, 1);
  assert.equal(stdout, '');
  assert.equal(stderr.trimEnd().split('\n').length, 1, JSON.stringify(stderr));
  assert.match(stderr, /another server/);
  assert.ok(stderr.includes(sock));
  const client = await connect({ path: sock });
  assert.equal(client.peers.size, 1);
  client.close();
  first.child.kill('SIGTERM');
  assert.equal((await first.exit()).code, 0);
});

test('--log-format json prints one JSON object per line, each with an event', { timeout: 60_000 }, async (t) => {
  const dir = tempDir(t);
  const sock = join(dir, 'sock');
  const server = new Famez(t, [
    'server',
    '-S',
    sock,
    '-m',
    dir,
    '-l',
    '64K',
    '-n',
    '2',
    '--log-format',
    'json',
    '--socket-mode',
    '0660',
  ]);
  await server.line(/"listening"/);
  assert.equal(statSync(sock).mode & 0o777, 0o660);
  const client = await connect({ path: sock });
  await server.line(/"peer-joined"/);
  client.close();
  await server.line(/"peer-left"/);
  server.child.kill('SIGINT');
  assert.equal((await server.exit()).code, 0);
  const lines = server.stdout.filter((line) => line !== '');
  assert.ok(lines.length >= 4, lines.join('\n'));
  const events = lines.map((line) => {
    const parsed = JSON.parse(line) as Record<string, unknown>;
    assert.equal(typeof parsed.event, 'string', line);
    return parsed;
  });
  assert.deepEqual(
    events.map((e) => e.event),
    ['listening', 'peer-joined', 'peer-left', 'stopping'],
  );
  const listening = events[0]!;
  assert.equal(listening.socket, sock);
  assert.equal(listening.vectors, 2);
  assert.equal(listening.size, 64 * 1024);
  const joined = events[1]!;
  assert.equal(joined.pid, process.pid);
  assert.equal(joined.uid, process.getuid!());
  assert.equal(joined.id, 0);
});

test('-d daemonizes: the parent exits 0 at once, the daemon serves until SIGTERM', { timeout: 60_000 }, async (t) => {
  const dir = tempDir(t);
  const sock = join(dir, 'sock');
  const pidFile = join(dir, 'pid');
  let daemonPid: number | undefined;
  t.after(() => {
    if (daemonPid !== undefined) {
      try {
        process.kill(daemonPid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  });
  const started = Date.now();
  const parent = famez(['server', '-d', '-S', sock, '-m', dir, '-l', '1M', '-p', pidFile]);
  assert.equal(parent.status, 0, parent.stderr);
  assert.ok(Date.now() - started < 5000, 'the parent took too long');
  assert.ok(existsSync(pidFile), 'no pid file');
  daemonPid = Number(readFileSync(pidFile, 'utf8').trim());
  assert.ok(Number.isInteger(daemonPid) && daemonPid > 0);
  assert.match(parent.stdout, new RegExp(`pid ${daemonPid}\\b`));
  process.kill(daemonPid, 0); // alive
  // fds 0-2 point at /dev/null (dup2), so no peer socket can take number 2.
  for (const fd of [0, 1, 2])
    assert.equal(readlinkSync(`/proc/${daemonPid}/fd/${fd}`), '/dev/null', `the daemon's fd ${fd}`);
  assert.ok(lstatSync(sock).isSocket());
  const client = await connect({ path: sock });
  assert.equal(client.id, 0);
  client.close();

  process.kill(daemonPid, 'SIGTERM');
  await waitFor(() => !existsSync(sock), 'the daemon to remove its socket', 10_000);
  await waitFor(() => !existsSync(pidFile), 'the daemon to remove its pid file', 10_000);
  await waitFor(
    () => {
      try {
        process.kill(daemonPid!, 0);
        return false;
      } catch {
        return true;
      }
    },
    'the daemon to exit',
    10_000,
  );
  daemonPid = undefined;
});

test('-d reports a failure to start: the parent exits 1 with the error', { timeout: 20_000 }, (t) => {
  const dir = tempDir(t);
  const sock = join(dir, 'missing', 'sock');
  const { status, stdout, stderr } = famez(['server', '-d', '-S', sock, '-m', dir, '-l', '1M']);
  assert.equal(status, 1);
  assert.equal(stdout, '');
  assert.equal(
    stderr,
    `famez: cannot listen on ${sock}: the directory ${join(dir, 'missing')} does not exist: create it, or choose another path with -S\n`,
  );
});

test('system errors at start name the path and what to do, and leave nothing behind (no shm object)', {
  timeout: 30_000,
}, (t) => {
  const dir = tempDir(t);
  const name = `famez-start-${process.pid}`;
  const start = (args: string[]): string => {
    const { status, stdout, stderr } = famez(['server', '-M', name, ...args]);
    assert.equal(status, 1, stderr);
    assert.equal(stdout, '');
    assert.equal(existsSync(`/dev/shm/${name}`), false, `${args.join(' ')}: left its shm object behind`);
    return stderr;
  };
  const missing = join(dir, 'missing', 'sock');
  assert.equal(
    start(['-S', missing]),
    `famez: cannot listen on ${missing}: the directory ${join(dir, 'missing')} does not exist: create it, or choose another path with -S\n`,
  );
  const long = join(dir, 'x'.repeat(120));
  assert.equal(
    start(['-S', long]),
    `famez: cannot listen on ${long}: the path has ${Buffer.byteLength(long)} bytes, more than the 107 a UNIX socket path may have: ` +
      'choose another path with -S, shorter\n',
  );
  const file = join(dir, 'missing', 'mem.img');
  assert.equal(
    famez(['server', '-S', join(dir, 'sock'), '-f', file]).stderr,
    `famez: cannot open backing file ${file}: ENOENT: no such file or directory: its directory does not exist: create it, or name another\n`,
  );
});

test('a socket in a directory the user may not write: EACCES with the path and what to do', {
  timeout: 30_000,
  skip: process.geteuid?.() === 0 ? false : 'needs root to drop its CAP_DAC_OVERRIDE (CI runs as root)',
}, (t) => {
  // nobody's directory, and famez as root without the capability to write what
  // it does not own: famez still reads the clone, wherever it lies (a 0700 home).
  const dir = join(tempDir(t), 'nobodys');
  mkdirSync(dir, { mode: 0o755 });
  chownSync(dir, 65534, 65534);
  const sock = join(dir, 'sock');
  const name = `famez-eacces-${process.pid}`;
  const result = spawnSync(
    'setpriv',
    ['--bounding-set=-dac_override,-fowner', process.execPath, MAIN, 'server', '-S', sock, '-M', name],
    { encoding: 'utf8', timeout: 10_000 },
  );
  assert.equal(result.status, 1, result.stderr);
  assert.equal(
    result.stderr,
    `famez: cannot listen on ${sock}: no permission to create a socket in ${dir}: choose another path with -S in a directory you may write\n`,
  );
  assert.equal(existsSync(`/dev/shm/${name}`), false);
});

test('SIGHUP with a log file that cannot be reopened: the server keeps the old file, warns there, and serves on', {
  timeout: 30_000,
}, async (t) => {
  const dir = tempDir(t);
  const sock = join(dir, 'sock');
  const logFile = join(dir, 'log');
  const server = new Famez(t, ['server', '-S', sock, '-m', dir, '-l', '1M', '--log-file', logFile]);
  await waitFor(
    () => existsSync(logFile) && readFileSync(logFile, 'utf8').includes('listening'),
    'the server to log that it listens',
    10_000,
  );
  renameSync(logFile, `${logFile}.1`);
  symlinkSync(join(dir, 'planted'), logFile);
  server.child.kill('SIGHUP');
  await waitFor(
    () => readFileSync(`${logFile}.1`, 'utf8').includes('still logging'),
    'the warning in the old log',
    10_000,
  );
  const client = await connect({ path: sock });
  client.close();
  await waitFor(
    () => readFileSync(`${logFile}.1`, 'utf8').includes('joined'),
    'the join logged in the old file',
    10_000,
  );
  assert.equal(existsSync(join(dir, 'planted')), false, 'the symlink was not followed');
  server.child.kill('SIGTERM');
  assert.equal((await server.exit()).code, 0);
  assert.deepEqual(server.stderr.filter(Boolean), []);
});

test('after SIGKILL, a restart on the same file keeps the data and replaces the stale socket', {
  timeout: 60_000,
}, async (t) => {
  const dir = tempDir(t);
  const sock = join(dir, 'sock');
  const mem = join(dir, 'mem.img');
  const first = new Famez(t, ['server', '-S', sock, '-f', mem, '-l', '1M']);
  await first.line(/listening/);
  const pattern = Buffer.from('famez persistent memory survives a crash');
  const writer = await connect({ path: sock });
  writer.memory.map(512 * 1024, 4096).set(pattern, 100);
  writer.close();
  first.child.kill('SIGKILL');
  assert.equal((await first.exit()).signal, 'SIGKILL');
  assert.ok(lstatSync(sock).isSocket(), 'the killed server left its socket');

  const second = new Famez(t, ['server', '-S', sock, '-f', mem]);
  const warning = await second.line(/stale/);
  assert.ok(warning.includes(sock));
  await second.line(/listening/);
  const reader = await connect({ path: sock });
  assert.equal(reader.memory.size, 1 << 20);
  assert.deepEqual(Buffer.from(reader.memory.map(512 * 1024, 4096).subarray(100, 100 + pattern.length)), pattern);
  reader.close();
  second.child.kill('SIGTERM');
  assert.equal((await second.exit()).code, 0);
  await sleep(0);
});

test('an unwritable pid file: exit 1 with a one-line error, no socket left behind', { timeout: 60_000 }, async (t) => {
  const dir = tempDir(t);
  const sock = join(dir, 'sock');
  const server = new Famez(t, [
    'server',
    '-S',
    sock,
    '-m',
    dir,
    '-l',
    '1M',
    '-p',
    join(dir, 'no', 'such', 'dir', 'pid'),
  ]);
  const { code } = await server.exit(3000);
  assert.equal(code, 1);
  assert.equal(server.stderr.filter(Boolean).length, 1, server.stderr.join('\n'));
  assert.match(server.stderr[0]!, /pid/);
  assert.equal(existsSync(sock), false);
});
