// Claiming the socket path: stale sockets replaced, live servers and
// non-sockets never touched, symlinks never followed, modes exact.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  existsSync,
  lstatSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { createServer, SocketPathError, type FamezServer, type ServerOptions } from '../../src/server/index.js';
import { connect } from '../../src/client/index.js';
import * as sys from '../../src/sys/index.js';
import { fdBaseline, nextEvent, RawPeer, tempDir, waitFor } from './helpers.js';

function server(path: string, options: ServerOptions = {}): FamezServer {
  return createServer({ socketPath: path, memory: { kind: 'memfd', size: 1 << 20 }, ...options });
}

test('a stale socket file is replaced, with a warning', { timeout: 60_000 }, async (t) => {
  const fds = fdBaseline();
  const path = join(tempDir(t), 'sock');
  sys.close(sys.listen(path)); // bound, then closed without unlink: nobody listens
  assert.ok(lstatSync(path).isSocket());
  const s = server(path);
  t.after(() => s.close());
  const warnings: string[] = [];
  s.on('warning', (message) => warnings.push(message));
  await s.listen();
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /stale/);
  assert.ok(warnings[0]!.includes(path));
  const client = await connect({ path });
  assert.equal(client.id, 0);
  client.close();
  await s.close();
  await fds.check();
});

test('a live server is not displaced', { timeout: 60_000 }, async (t) => {
  const fds = fdBaseline();
  const path = join(tempDir(t), 'sock');
  const first = server(path);
  t.after(() => first.close());
  await first.listen();
  const identity = lstatSync(path).ino;
  const second = server(path);
  await assert.rejects(
    second.listen(),
    (error: Error) => error instanceof SocketPathError && /another server/.test(error.message),
  );
  assert.equal(lstatSync(path).ino, identity, 'the socket file was replaced');
  // The first server still works.
  const a = await connect({ path });
  const b = await connect({ path });
  const rung = nextEvent(a, 'doorbell');
  b.ring(a.id, 0);
  await rung;
  a.close();
  b.close();
  await second.close();
  await first.close();
  assert.equal(existsSync(path), false);
  await fds.check();
});

test("a second server's check of the path is invisible to the live server's peers", { timeout: 60_000 }, async (t) => {
  const path = join(tempDir(t), 'sock');
  const first = server(path);
  t.after(() => first.close());
  await first.listen();
  const peer = RawPeer.connect(path);
  t.after(() => peer.close());
  await peer.take(4);
  const joined: number[] = [];
  first.on('peer-joined', (info) => joined.push(info.id));
  await assert.rejects(server(path).listen(), SocketPathError);
  await peer.expectNothing(100);
  assert.deepEqual(joined, []);
});

test('a regular file at the path is never removed', { timeout: 60_000 }, async (t) => {
  const fds = fdBaseline();
  const path = join(tempDir(t), 'sock');
  writeFileSync(path, 'precious data\n');
  const s = server(path);
  await assert.rejects(
    s.listen(),
    (error: Error) => error instanceof SocketPathError && /not a socket/.test(error.message),
  );
  assert.equal(readFileSync(path, 'utf8'), 'precious data\n');
  await s.close();
  assert.equal(readFileSync(path, 'utf8'), 'precious data\n');
  await fds.check();
});

test('a symlink at the path is refused and not followed', { timeout: 60_000 }, async (t) => {
  const fds = fdBaseline();
  const dir = tempDir(t);
  const path = join(dir, 'sock');
  // Dangling: following it would create the socket at the target.
  const target = join(dir, 'elsewhere');
  symlinkSync(target, path);
  const s = server(path);
  await assert.rejects(
    s.listen(),
    (error: Error) => error instanceof SocketPathError && /symbolic link/.test(error.message),
  );
  assert.equal(existsSync(target), false, 'the socket was created through the symlink');
  assert.equal(readlinkSync(path), target);
  // Pointing at a stale socket: neither the link nor the socket is removed.
  const stale = join(dir, 'stale');
  sys.close(sys.listen(stale));
  const path2 = join(dir, 'sock2');
  symlinkSync(stale, path2);
  await assert.rejects(server(path2).listen(), SocketPathError);
  assert.ok(lstatSync(path2).isSymbolicLink());
  assert.ok(lstatSync(stale).isSocket());
  // Pointing at a regular file: untouched.
  const file = join(dir, 'file');
  writeFileSync(file, 'keep');
  const path3 = join(dir, 'sock3');
  symlinkSync(file, path3);
  await assert.rejects(server(path3).listen(), SocketPathError);
  assert.equal(readFileSync(file, 'utf8'), 'keep');
  assert.ok(lstatSync(path3).isSymbolicLink());
  await fds.check();
});

test('socket file mode: 0600 by default, exactly socketMode when given, whatever the umask', {
  timeout: 60_000,
}, async (t) => {
  const fds = fdBaseline();
  const dir = tempDir(t);
  const a = server(join(dir, 'a'));
  t.after(() => a.close());
  await a.listen();
  assert.equal(statSync(join(dir, 'a')).mode & 0o7777, 0o600);
  const previous = process.umask(0o077);
  const b = server(join(dir, 'b'), { socketMode: 0o660 });
  t.after(() => b.close());
  try {
    await b.listen();
  } finally {
    process.umask(previous);
  }
  assert.equal(statSync(join(dir, 'b')).mode & 0o7777, 0o660);
  // A group change is applied to the socket file.
  const c = server(join(dir, 'c'), { socketGroup: process.getgid!() });
  t.after(() => c.close());
  await c.listen();
  assert.equal(statSync(join(dir, 'c')).gid, process.getgid!());
  await Promise.all([a.close(), b.close(), c.close()]);
  await fds.check();
});

test('a socket path in a missing directory is refused and nothing is left open', { timeout: 60_000 }, async (t) => {
  const fds = fdBaseline();
  const dir = join(tempDir(t), 'missing');
  const s = server(join(dir, 'sock'));
  await assert.rejects(s.listen(), {
    name: 'SocketPathError',
    message: `cannot listen on ${dir}/sock: the directory ${dir} does not exist: create it, or choose another path with -S`,
  });
  await s.close();
  await fds.check();
});

test('close() removes the socket file, and only its own', { timeout: 60_000 }, async (t) => {
  const fds = fdBaseline();
  const dir = tempDir(t);
  const path = join(dir, 'sock');
  const s = server(path);
  t.after(() => s.close());
  await s.listen();
  assert.ok(lstatSync(path).isSocket());
  await s.close();
  assert.equal(existsSync(path), false);

  // If someone replaced the file meanwhile, close() leaves the new one alone.
  const s2 = server(path);
  t.after(() => s2.close());
  await s2.listen();
  unlinkSync(path);
  writeFileSync(path, 'not ours');
  await s2.close();
  assert.equal(readFileSync(path, 'utf8'), 'not ours');
  await fds.check();
});

test('a closed server refuses to listen again, leaving nothing; a new one on the same path serves and closes normally', {
  timeout: 20_000,
}, async (t) => {
  const fds = fdBaseline();
  const path = join(tempDir(t), 'sock');
  const first = server(path);
  await first.listen();
  await first.close();
  await assert.rejects(first.listen(), { message: 'the server is closed: create a new one to listen again' });
  assert.equal(existsSync(path), false, 'the refused listen made a socket');
  await fds.check('after the refused listen');
  const second = server(path);
  await second.listen();
  const client = await connect({ path });
  assert.equal(second.peers.size, 1);
  client.close();
  await waitFor(() => second.peers.size === 0, 'the peer to leave');
  await second.close();
  assert.equal(existsSync(path), false, 'close() left the socket');
  await fds.check();
});
