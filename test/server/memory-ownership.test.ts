// Existing memory is used only when it is famez's own: a shm object, backing
// file or mailbox that another uid owns or that others may write is refused
// untouched, with one line saying why and what to do (--trust-existing-memory
// accepts it); a symlink or FIFO at the path is refused; new objects are made
// exclusively, 0600; a failed start removes the object it made.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer } from '../../src/server/index.js';
import { createFabric } from '../../src/fabric/index.js';
import { BackingError, openBacking, type BackingSpec } from '../../src/memory/backing.js';
import * as sys from '../../src/sys/index.js';
import { fdBaseline, tempDir } from './helpers.js';

const TIMEOUT = { timeout: 20_000 };
const IS_ROOT = process.geteuid?.() === 0;
const uid = process.geteuid?.() ?? 0;

function shmName(t: TestContext): string {
  const name = `famez-own-${process.pid}-${Math.random().toString(36).slice(2)}`;
  t.after(() => {
    try {
      sys.shmUnlink(`/${name}`);
    } catch {
      /* not there */
    }
  });
  return name;
}

function refuses(spec: BackingSpec, message: string): void {
  assert.throws(
    () => openBacking(spec),
    (error: Error) => error instanceof BackingError && error.message === message,
  );
}

test('a backing file that others may write is refused untouched, and accepted with trustExisting', TIMEOUT, (t) => {
  const fds = fdBaseline();
  const file = join(tempDir(t), 'fam.img');
  writeFileSync(file, Buffer.alloc(4096, 7));
  chmodSync(file, 0o666);
  refuses(
    { kind: 'file', path: file },
    `backing file ${file} exists with mode 0666: group or others may write it: chmod go-w it if it is yours, ` +
      'or remove it or name another, or give --trust-existing-memory if you trust it',
  );
  assert.deepEqual(readFileSync(file), Buffer.alloc(4096, 7));
  const backing = openBacking({ kind: 'file', path: file, trustExisting: true });
  assert.equal(backing.size, 4096);
  assert.equal(backing.created, false);
  backing.close();
  return fds.check();
});

test('a shm object that others may write is refused untouched', TIMEOUT, (t) => {
  const name = shmName(t);
  const fd = sys.shmOpen(`/${name}`, { create: true }, 0o600);
  sys.truncate(fd, 8192);
  sys.close(fd);
  chmodSync(`/dev/shm/${name}`, 0o662);
  refuses(
    { kind: 'shm', name },
    `shared memory /${name} exists with mode 0662: group or others may write it: chmod go-w it if it is yours, ` +
      `or remove it (rm /dev/shm/${name}) or name another with -M, or give --trust-existing-memory if you trust it`,
  );
  assert.equal(statSync(`/dev/shm/${name}`).size, 8192);
  chmodSync(`/dev/shm/${name}`, 0o640);
  const backing = openBacking({ kind: 'shm', name });
  assert.equal(backing.size, 8192);
  backing.close();
});

test('a shm object or file that another uid owns is refused', {
  ...TIMEOUT,
  skip: IS_ROOT ? false : 'needs root to give a file to another uid (CI runs as root)',
}, (t) => {
  const name = shmName(t);
  const fd = sys.shmOpen(`/${name}`, { create: true }, 0o600);
  sys.truncate(fd, 4096);
  sys.close(fd);
  chownSync(`/dev/shm/${name}`, 65534, 65534);
  refuses(
    { kind: 'shm', name },
    `shared memory /${name} exists and belongs to uid 65534, not to famez's uid ${uid} (that user could read and change ` +
      `what the peers share): remove it (rm /dev/shm/${name}) or name another with -M, or give --trust-existing-memory if you trust it`,
  );
  const file = join(tempDir(t), 'fam.img');
  writeFileSync(file, Buffer.alloc(4096));
  chownSync(file, 65534, 65534);
  assert.throws(() => openBacking({ kind: 'file', path: file }), /belongs to uid 65534/);
  openBacking({ kind: 'file', path: file, trustExisting: true }).close();
});

test("a symlink or a FIFO at a backing file's path is refused (no hang), the target untouched", TIMEOUT, (t) => {
  const fds = fdBaseline();
  const dir = tempDir(t);
  const target = join(dir, 'precious');
  writeFileSync(target, 'not memory');
  const link = join(dir, 'fam.img');
  symlinkSync(target, link);
  refuses(
    { kind: 'file', path: link, size: 4096 },
    `cannot open backing file ${link}: it is a symlink: name the file itself`,
  );
  assert.equal(readFileSync(target, 'utf8'), 'not memory');
  const fifo = join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  refuses({ kind: 'file', path: fifo }, `file ${fifo} is not a regular file: name a regular file to back the memory`);
  return fds.check();
});

test('new objects are made 0600 whatever the umask, and say so (created)', TIMEOUT, (t) => {
  const file = join(tempDir(t), 'new.img');
  const previous = process.umask(0);
  try {
    const backing = openBacking({ kind: 'file', path: file, size: 4096 });
    assert.equal(backing.created, true);
    backing.close();
  } finally {
    process.umask(previous);
  }
  assert.equal(statSync(file).mode & 0o777, 0o600);
  refuses(
    { kind: 'file', path: file, exclusive: true },
    `cannot create backing file ${file}: it appeared while famez was starting (someone else made it): remove it and start again`,
  );
});

test('a failed start removes the shm object and the file it made, and keeps those it did not', TIMEOUT, async (t) => {
  const fds = fdBaseline();
  const dir = tempDir(t);
  const socketPath = join(dir, 'missing', 'sock');
  const name = shmName(t);
  await assert.rejects(createServer({ socketPath, memory: { kind: 'shm', name } }).listen());
  assert.equal(existsSync(`/dev/shm/${name}`), false, 'the shm object it made is gone');
  const file = join(dir, 'fam.img');
  await assert.rejects(createServer({ socketPath, memory: { kind: 'file', path: file, size: 4096 } }).listen());
  assert.equal(existsSync(file), false, 'the file it made is gone');
  writeFileSync(file, Buffer.alloc(4096, 1));
  await assert.rejects(createServer({ socketPath, memory: { kind: 'file', path: file } }).listen());
  assert.deepEqual(readFileSync(file), Buffer.alloc(4096, 1), 'a file it did not make is kept');
  await fds.check();
});

test('the fabric refuses a mailbox that others may write, untouched, and one of another uid', TIMEOUT, async (t) => {
  const fds = fdBaseline();
  const dir = tempDir(t);
  const mailbox = join(dir, 'mailbox');
  writeFileSync(mailbox, Buffer.alloc(8192, 3));
  chmodSync(mailbox, 0o666);
  await assert.rejects(
    createFabric({ socketPath: join(dir, 'sock'), mailbox }).listen(),
    (error: Error) =>
      error.message ===
      `cannot use mailbox ${mailbox}: it exists with mode 0666: group or others may read or write it (every message): ` +
        'chmod 0600 it if it is a mailbox of yours, give --overwrite-mailbox to take it anyway, or name another with -M',
  );
  assert.deepEqual(readFileSync(mailbox), Buffer.alloc(8192, 3));
  if (IS_ROOT) {
    chmodSync(mailbox, 0o600);
    chownSync(mailbox, 65534, 65534);
    await assert.rejects(
      createFabric({ socketPath: join(dir, 'sock'), mailbox }).listen(),
      /belongs to uid 65534, not to famez's uid 0 \(famez never writes another user's file\)/,
    );
    assert.deepEqual(readFileSync(mailbox), Buffer.alloc(8192, 3));
  }
  await fds.check();
});
