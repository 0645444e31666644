// The shared memory as the server hands it out: file (sparse, persistent,
// never silently resized), POSIX shm, directory, memfd.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer, type FamezServer } from '../../src/server/index.js';
import { BackingError, type BackingSpec } from '../../src/memory/backing.js';
import { connect } from '../../src/client/index.js';
import * as sys from '../../src/sys/index.js';
import { fdBaseline, tempDir } from './helpers.js';

const GiB = 2 ** 30;

async function serve(socketPath: string, memory: BackingSpec, warnings: string[] = []): Promise<FamezServer> {
  const server = createServer({ socketPath, memory });
  server.on('warning', (message) => warnings.push(message));
  await server.listen();
  return server;
}

test('file: 5 GiB becomes a sparse 8 GiB file, with a warning; reopened without size it keeps its contents', {
  timeout: 60_000,
}, async (t) => {
  const fds = fdBaseline();
  const dir = tempDir(t);
  const sock = join(dir, 'sock');
  const file = join(dir, 'fam.img');
  const warnings: string[] = [];
  let server = await serve(sock, { kind: 'file', path: file, size: 5 * GiB }, warnings);
  t.after(() => server.close());
  assert.equal(server.memory.size, 8 * GiB);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /power of two/);
  assert.match(warnings[0]!, /5 GiB/);
  assert.match(warnings[0]!, /8 GiB/);
  let stats = statSync(file);
  assert.equal(stats.size, 8 * GiB);
  assert.ok(stats.blocks * 512 < 1 << 20, `not sparse: ${stats.blocks * 512} bytes allocated`);
  assert.equal(stats.mode & 0o777, 0o600);

  // Write through a client's window at 6 GiB.
  const pattern = Uint8Array.from({ length: 4096 }, (_, i) => (i * 7 + 3) & 0xff);
  let client = await connect({ path: sock });
  assert.equal(client.memory.size, 8 * GiB);
  const window = client.memory.map(6 * GiB, 4096);
  window.set(pattern);
  client.memory.sync(window);
  client.close();
  await server.close();

  // Restart on the same file without a size: the same size, the same bytes.
  const again: string[] = [];
  server = await serve(sock, { kind: 'file', path: file }, again);
  assert.deepEqual(again, []);
  assert.equal(server.memory.size, 8 * GiB);
  client = await connect({ path: sock });
  assert.deepEqual(client.memory.map(6 * GiB, 4096), pattern);
  assert.equal(
    client.memory.map(6 * GiB - 4096, 4096).some((b) => b !== 0),
    false,
  );
  client.close();
  await server.close();
  // Also visible in the file itself.
  const handle = openSync(file, 'r');
  const bytes = new Uint8Array(4096);
  readSync(handle, bytes, 0, 4096, 6 * GiB);
  closeSync(handle);
  assert.deepEqual(bytes, pattern);
  stats = statSync(file);
  assert.equal(stats.size, 8 * GiB);
  assert.ok(stats.blocks * 512 < 1 << 20, 'still sparse');
  await fds.check();
});

test('file: an existing file of another size is refused, untouched, unless truncate', {
  timeout: 60_000,
}, async (t) => {
  const fds = fdBaseline();
  const dir = tempDir(t);
  const sock = join(dir, 'sock');
  const file = join(dir, 'fam.img');
  const content = Buffer.alloc(8192, 0x5c);
  content.write('header', 0);
  writeFileSync(file, content);

  await assert.rejects(
    serve(sock, { kind: 'file', path: file, size: 16384 }),
    (error: Error) => error instanceof BackingError && /8 KiB/.test(error.message) && /16 KiB/.test(error.message),
  );
  assert.deepEqual(readFileSync(file), content);
  assert.equal(existsSync(sock), false, 'a refused backing leaves no socket');
  // Smaller, too.
  await assert.rejects(serve(sock, { kind: 'file', path: file, size: 4096 }), BackingError);
  assert.deepEqual(readFileSync(file), content);
  await fds.check('after refusals');

  // With truncate it is resized, and what fits is kept.
  const server = await serve(sock, { kind: 'file', path: file, size: 16384, truncate: true });
  t.after(() => server.close());
  assert.equal(server.memory.size, 16384);
  assert.equal(statSync(file).size, 16384);
  const client = await connect({ path: sock });
  const view = client.memory.map();
  assert.deepEqual(Buffer.from(view.subarray(0, 8192)), content);
  assert.equal(
    view.subarray(8192).some((b) => b !== 0),
    false,
  );
  client.close();
  await server.close();
  await fds.check();
});

test('file: an existing file whose size is not a power of two is refused, untouched', {
  timeout: 60_000,
}, async (t) => {
  const fds = fdBaseline();
  const dir = tempDir(t);
  const sock = join(dir, 'sock');
  const file = join(dir, 'odd.img');
  const content = Buffer.alloc(5000, 0x42);
  writeFileSync(file, content);
  await assert.rejects(
    serve(sock, { kind: 'file', path: file }),
    (error: Error) => error instanceof BackingError && /power of two/.test(error.message),
  );
  assert.deepEqual(readFileSync(file), content);
  await assert.rejects(serve(sock, { kind: 'file', path: file, size: 5000 }), BackingError);
  assert.deepEqual(readFileSync(file), content);
  await fds.check();
});

test('file: a path that is not a regular file is refused', { timeout: 60_000 }, async (t) => {
  const fds = fdBaseline();
  const dir = tempDir(t);
  await assert.rejects(serve(join(dir, 'sock'), { kind: 'file', path: dir, size: 4096 }), BackingError);
  await assert.rejects(
    serve(join(dir, 'sock'), { kind: 'file', path: join(dir, 'missing', 'x.img'), size: 4096 }),
    BackingError,
  );
  await fds.check();
});

test('shm: a named POSIX shared memory object at /dev/shm/<name>', { timeout: 60_000 }, async (t) => {
  const fds = fdBaseline();
  const dir = tempDir(t);
  const name = `famez-test-${process.pid}-${Date.now()}`;
  t.after(() => {
    try {
      sys.shmUnlink(`/${name}`);
    } catch {
      // not created
    }
  });
  const server = await serve(join(dir, 'sock'), { kind: 'shm', name, size: 1 << 20 });
  t.after(() => server.close());
  const stats = statSync(`/dev/shm/${name}`);
  assert.equal(stats.size, 1 << 20);
  assert.equal(stats.mode & 0o777, 0o600);
  const client = await connect({ path: join(dir, 'sock') });
  client.memory.map(0, 4096)[7] = 0x77;
  client.close();
  assert.equal(readFileSync(`/dev/shm/${name}`)[7], 0x77);
  await server.close();
  // Reopened without a size: its size and contents are kept.
  const again = await serve(join(dir, 'sock'), { kind: 'shm', name });
  assert.equal(again.memory.size, 1 << 20);
  const second = await connect({ path: join(dir, 'sock') });
  assert.equal(second.memory.map(0, 4096)[7], 0x77);
  second.close();
  await again.close();
  await fds.check();
});

test('directory: memory from a file that is unlinked at once', { timeout: 60_000 }, async (t) => {
  const fds = fdBaseline();
  const memoryDir = tempDir(t);
  const sockDir = tempDir(t);
  const server = await serve(join(sockDir, 'sock'), { kind: 'directory', path: memoryDir, size: 1 << 20 });
  t.after(() => server.close());
  assert.deepEqual(readdirSync(memoryDir), []);
  assert.equal(server.memory.size, 1 << 20);
  const a = await connect({ path: join(sockDir, 'sock') });
  const b = await connect({ path: join(sockDir, 'sock') });
  a.memory.map(4096, 4096)[1] = 0xab;
  assert.equal(b.memory.map(4096, 4096)[1], 0xab);
  a.close();
  b.close();
  await server.close();
  assert.deepEqual(readdirSync(memoryDir), []);
  await fds.check();
});

test('memfd: default size is 4 MiB; sizes are rounded up to a power of two', { timeout: 60_000 }, async (t) => {
  const fds = fdBaseline();
  const dir = tempDir(t);
  const server = await serve(join(dir, 'sock'), { kind: 'memfd' });
  t.after(() => server.close());
  assert.equal(server.memory.size, 4 << 20);
  await server.close();
  const warnings: string[] = [];
  const odd = await serve(join(dir, 'sock'), { kind: 'memfd', size: 3 << 20 }, warnings);
  t.after(() => odd.close());
  assert.equal(odd.memory.size, 4 << 20);
  assert.equal(warnings.length, 1);
  const client = await connect({ path: join(dir, 'sock') });
  assert.equal(client.memory.size, 4 << 20);
  client.close();
  await odd.close();
  await assert.rejects(serve(join(dir, 'sock'), { kind: 'memfd', size: 1000 }), BackingError);
  await fds.check();
});
