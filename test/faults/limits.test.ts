// The server as a process under hard limits and access rules: fd exhaustion,
// --allow-uid, and pid files that are never written through a symlink.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createConnection, createServer, type AddressInfo, type Socket } from 'node:net';
import {
  chmodSync,
  existsSync,
  readdirSync,
  lstatSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect, type FamezClient } from '../../src/client/index.js';
import { listeningSockets } from '../../src/server/socket-path.js';
import { waitFor, withTimeout } from '../helpers/fds.js';
import { readableCopy } from '../helpers/readable-copy.js';

/** Tests that compare root with nobody, or fill sockets with fds in flight, need root (CI runs as root). */
const IS_ROOT = process.geteuid?.() === 0;
const NEEDS_ROOT_FOR_NOBODY = IS_ROOT
  ? false
  : 'needs root: it connects as nobody and as root to compare them (CI runs as root)';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

interface Server {
  child: ChildProcess;
  log: () => string;
  stop: () => Promise<number | null>;
}

/** Starts `famez server` (behind `command`, e.g. prlimit) and waits until it listens. */
async function startServer(command: string[], args: string[], socket: string): Promise<Server> {
  const [program, ...rest] = [...command, process.execPath, MAIN, 'server', '-S', socket, ...args];
  const child = spawn(program!, rest, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    log += chunk.toString();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    log += chunk.toString();
  });
  let exit: number | null | undefined;
  child.on('exit', (code) => {
    exit = code;
  });
  // Ready once the socket listens (its log may go to a file).
  await waitFor(
    () => {
      if (exit !== undefined) throw new Error(`server exited ${exit}: ${log}`);
      return listeningSockets().has(socket);
    },
    'the server to listen',
    10_000,
  );
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    log: () => log,
    stop: () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

// As another user the kernel caps the fds in flight over UNIX sockets at RLIMIT_NOFILE
// (ETOOMANYREFS), so a peer is cut off mid-handshake there instead of refused.
test('out of fds: new peers are refused cleanly, and admitted again once fds are free', {
  timeout: 60_000,
  skip: IS_ROOT
    ? false
    : 'needs root: for other users the kernel caps fds in flight at RLIMIT_NOFILE (ETOOMANYREFS) (CI runs as root)',
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'famez-fds-'));
  const socket = join(dir, 'sock');
  const server = await startServer(
    ['prlimit', '--nofile=80:80'],
    ['-M', `famez-fds-${process.pid}`, '-l', '64K', '-n', '4'],
    socket,
  );
  const clients: FamezClient[] = [];
  try {
    let refusal: Error | undefined;
    while (!refusal && clients.length < 40) {
      try {
        clients.push(await connect({ path: socket }));
      } catch (error) {
        refusal = error as Error;
      }
    }
    assert.ok(refusal, `a peer was refused after ${clients.length} joined`);
    assert.match(refusal.message, /refused/);
    assert.ok(clients.length >= 2, `${clients.length} peers joined before fds ran out`);
    await waitFor(() => /peer refused .*(out of file descriptors|EMFILE)/.test(server.log()), 'the refusal is logged');
    // The ones already in are undisturbed, and room comes back when peers leave.
    const [a, b] = clients;
    const rung = new Promise((resolve) => b!.once('doorbell', resolve));
    a!.ring(b!.id, 3);
    assert.deepEqual(await withTimeout(rung, 'the ring after the refusal', 2000), { vector: 3, count: 1 });
    clients.splice(2).forEach((client) => client.close());
    const again = await withTimeout(retryConnect(socket), 'admission again', 5000);
    clients.push(again);
    assert.ok(again.peers.has(a!.id));
  } finally {
    clients.forEach((client) => client.close());
    await finish(server, dir, 'famez-fds');
  }
});

/**
 * `famez server` with `--http` under `prlimit --nofile=limit`, one peer in,
 * then `connections` idle HTTP connections until it has no fd left but those
 * it holds back; `done` closes them all, stops it and cleans up.
 */
async function serverOutOfFds(
  name: string,
  limit: number,
  connections: number,
): Promise<{ server: Server; socket: string; first: FamezClient; clients: FamezClient[]; done(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), `${name}-`));
  const socket = join(dir, 'sock');
  const port = await freePort();
  const server = await startServer(
    ['prlimit', `--nofile=${limit}:${limit}`],
    ['-M', `${name}-${process.pid}`, '-l', '64K', '-n', '4', '--http', `127.0.0.1:${port}`],
    socket,
  );
  const sockets: Socket[] = [];
  const clients: FamezClient[] = [];
  const done = async (): Promise<void> => {
    sockets.forEach((tcp) => tcp.destroy());
    clients.forEach((client) => client.close());
    await finish(server, dir, name);
  };
  try {
    const first = await connect({ path: socket });
    clients.push(first);
    const serverFds = (): number => readdirSync(`/proc/${server.child.pid}/fd`).length;
    for (let i = 0; i < connections; i++) {
      const tcp = createConnection({ host: '127.0.0.1', port });
      tcp.on('error', () => {
        /* closed by the server when it is out of fds */
      });
      sockets.push(tcp);
    }
    await waitFor(
      () => serverFds() >= limit,
      `the server to reach its fd limit of ${limit} (it has ${serverFds()})`,
      20_000,
    );
    return { server, socket, first, clients, done };
  } catch (error) {
    await done();
    throw error;
  }
}

test('fds are held back for the next join: HTTP connections that take every other fd do not keep a peer out', {
  timeout: 60_000,
}, async () => {
  const { socket, first, clients, done } = await serverOutOfFds('famez-reserve', 80, 96);
  try {
    const second = await withTimeout(connect({ path: socket }), 'a peer to join while HTTP holds every other fd', 5000);
    clients.push(second);
    await waitFor(() => first.peers.has(second.id), 'the first peer to hear of the second');
    const rung = new Promise((resolve) => second.once('doorbell', resolve));
    first.ring(second.id, 3);
    assert.deepEqual(await withTimeout(rung, 'the new peer to be rung', 2000), { vector: 3, count: 1 });
  } finally {
    await done();
  }
});

test('out of fds with 300 idle HTTP connections: of 10 joins at once, each joins or is refused with "out of file descriptors", never a raw EMFILE', {
  timeout: 60_000,
}, async () => {
  const { server, socket, first, clients, done } = await serverOutOfFds('famez-joins', 128, 300);
  try {
    const outcomes = await Promise.allSettled(Array.from({ length: 10 }, () => connect({ path: socket })));
    const joined = outcomes.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
    clients.push(...joined);
    const refused = outcomes.length - joined.length;
    for (const outcome of outcomes) if (outcome.status === 'rejected') assert.match(String(outcome.reason), /refused/);
    const refusals = (): string[] =>
      server
        .log()
        .split('\n')
        .filter((line) => line.includes('peer refused'));
    await waitFor(
      () => refusals().length === refused,
      () => `${refused} refusals logged: ${refusals()}`,
    );
    for (const line of refusals()) assert.match(line, /: out of file descriptors/, `the documented reason: ${line}`);
    assert.doesNotMatch(server.log(), /eventfd EMFILE|cannot create doorbells/);
    // Those that joined are peers like any other.
    for (const peer of joined) {
      const rung = new Promise((resolve) => peer.once('doorbell', resolve));
      first.ring(peer.id, 2);
      assert.deepEqual(await withTimeout(rung, `peer ${peer.id} to be rung`, 2000), { vector: 2, count: 1 });
    }
  } finally {
    await done();
  }
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** Stops the server (it must exit 0) and removes its shared memory and temp dir. */
async function finish(server: Server, dir: string, shm: string): Promise<void> {
  assert.equal(await server.stop(), 0);
  rmSync(`/dev/shm/${shm}-${process.pid}`, { force: true });
  rmSync(dir, { recursive: true, force: true });
}

async function retryConnect(path: string): Promise<FamezClient> {
  for (;;) {
    try {
      return await connect({ path });
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

test('--allow-uid admits only the listed users; a refused peer is logged with its pid and uid', {
  timeout: 60_000,
  skip: NEEDS_ROOT_FOR_NOBODY,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'famez-uid-'));
  chmodSync(dir, 0o755);
  const socket = join(dir, 'sock');
  const server = await startServer(
    [],
    ['-M', `famez-uid-${process.pid}`, '-l', '64K', '--allow-uid', 'root', '--socket-mode', '0666'],
    socket,
  );
  try {
    assert.match(await connectAsNobody(socket), /^refused: the server refused this client/);
    await waitFor(
      () => /peer refused \(pid \d+, uid 65534\): uid 65534 \/ gid 65534 is not in --allow-uid/.test(server.log()),
      'refusal logged',
    );
    const root = await connect({ path: socket });
    assert.equal(root.id, 0, 'the refused peer used no id');
    root.close();
  } finally {
    await finish(server, dir, 'famez-uid');
  }
});

/**
 * Runs connect() in a child process as user and group nobody; its verdict. The
 * child loads a world-readable copy of the library: nobody may not be able to
 * enter the checkout.
 */
async function connectAsNobody(socket: string): Promise<string> {
  const library = readableCopy();
  try {
    const script = `import { connect } from ${JSON.stringify(join(library, 'dist', 'src', 'index.js'))};
      connect({ path: ${JSON.stringify(socket)} }).then((c) => { console.log('admitted'); c.close(); }, (e) => console.log('refused:', e.message));`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      uid: 65534,
      gid: 65534,
      cwd: '/',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    await new Promise((resolve) => child.on('exit', resolve));
    return output.trim();
  } finally {
    rmSync(library, { recursive: true, force: true });
  }
}

test('--allow-gid admits by group; --socket-group and --socket-mode let that group open the socket', {
  timeout: 60_000,
  skip: NEEDS_ROOT_FOR_NOBODY,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'famez-gid-'));
  chmodSync(dir, 0o755);
  const socket = join(dir, 'sock');
  const server = await startServer(
    [],
    [
      '-M',
      `famez-gid-${process.pid}`,
      '-l',
      '64K',
      '--allow-gid',
      'nogroup',
      '--socket-group',
      'nogroup',
      '--socket-mode',
      '0660',
    ],
    socket,
  );
  try {
    const stats = statSync(socket);
    assert.equal(stats.mode & 0o777, 0o660);
    assert.equal(stats.gid, 65534);
    assert.equal(await connectAsNobody(socket), 'admitted');
    await assert.rejects(connect({ path: socket }), /refused/, 'root is in neither list');
    await waitFor(() => /peer refused \(pid \d+, uid 0\)/.test(server.log()), 'refusal of root logged');
  } finally {
    await finish(server, dir, 'famez-gid');
  }
});

test("SIGHUP reopens the log file; -v logs each peer's eventfds", { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'famez-hup-'));
  const logFile = join(dir, 'famez.log');
  const server = await startServer(
    [],
    ['-M', `famez-hup-${process.pid}`, '-l', '64K', '-n', '2', '-v', '--log-file', logFile],
    join(dir, 'sock'),
  );
  try {
    await waitFor(() => readFileSync(logFile, 'utf8').includes('listening on'), 'first log line');
    renameSync(logFile, `${logFile}.1`);
    server.child.kill('SIGHUP');
    await waitFor(() => existsSync(logFile), 'SIGHUP to reopen the log file');
    const client = await connect({ path: join(dir, 'sock') });
    client.close();
    await waitFor(() => {
      try {
        return /peer 0: vector 0 fd=\d+, vector 1 fd=\d+/.test(readFileSync(logFile, 'utf8'));
      } catch {
        return false;
      }
    }, 'the new log file to get the next lines');
    assert.match(
      readFileSync(logFile, 'utf8'),
      new RegExp(`peer 0 joined \\(pid \\d+, uid ${process.getuid!()}, gid ${process.getgid!()}\\)`),
    );
    assert.doesNotMatch(readFileSync(`${logFile}.1`, 'utf8'), /peer 0 joined/);
  } finally {
    await finish(server, dir, 'famez-hup');
  }
});

test('the pid file is never written through a symlink', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'famez-pid-'));
  const target = join(dir, 'precious');
  writeFileSync(target, 'keep me\n');
  const pidFile = join(dir, 'pid');
  symlinkSync(target, pidFile);
  const server = await startServer(
    [],
    ['-M', `famez-pid-${process.pid}`, '-l', '64K', '-p', pidFile],
    join(dir, 'sock'),
  );
  try {
    // The pid file is written just after the socket listens.
    await waitFor(() => lstatSync(pidFile).isFile(), 'the pid file replaces the symlink');
    assert.equal(readFileSync(pidFile, 'utf8'), `${server.child.pid}\n`);
    assert.equal(readFileSync(target, 'utf8'), 'keep me\n');
    // A SIGTERM sent the moment the pid file appears still closes cleanly.
    assert.equal(await server.stop(), 0);
    assert.equal(existsSync(pidFile), false, 'the pid file is left behind');
    assert.equal(readFileSync(target, 'utf8'), 'keep me\n');
  } finally {
    await finish(server, dir, 'famez-pid');
  }
});
