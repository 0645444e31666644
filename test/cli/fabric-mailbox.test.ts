// `famez fabric -M FILE` on an existing file, as users type it: a file that is
// not a private mailbox of the same geometry (a server's guest memory, a
// mailbox others may read) is refused untouched with one line naming the path
// and --overwrite-mailbox; the mailbox a killed fabric left is reused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { famez, Famez } from './cli.js';
import { tempDir } from '../server/helpers.js';

function refused(args: string[], path: string): void {
  const result = famez(['fabric', ...args]);
  assert.equal(result.status, 1, result.stderr);
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line: ${result.stderr}`);
  assert.ok(lines[0]!.includes(path) && lines[0]!.includes('--overwrite-mailbox'), lines[0]);
}

test('-M naming a file that holds data of a power-of-two size is refused untouched; --overwrite-mailbox takes it', async (t) => {
  const dir = tempDir(t);
  const data = join(dir, 'guest-memory');
  const contents = Buffer.alloc(8192, 0x5a);
  writeFileSync(data, contents, { mode: 0o600 });
  refused(['-S', join(dir, 'sock'), '-M', data], data);
  assert.deepEqual(readFileSync(data), contents, 'the guest data is intact');

  const taken = new Famez(t, ['fabric', '-S', join(dir, 'sock'), '-M', data, '--overwrite-mailbox']);
  await taken.line(/listening on /);
  taken.child.kill('SIGTERM');
  assert.deepEqual(await taken.exit(), { code: 0, signal: null });
  assert.equal(readFileSync(data).readBigUInt64LE(0), 512n, 'now a mailbox (slotsize 512)');
  assert.ok(existsSync(data), 'a file famez did not make is left in place');
});

test('the mailbox a killed fabric left is reused when private, refused at mode 0644', async (t) => {
  const dir = tempDir(t);
  const mailbox = join(dir, 'mailbox');
  const first = new Famez(t, ['fabric', '-S', join(dir, 's1'), '-M', mailbox]);
  await first.line(/listening on /);
  first.child.kill('SIGKILL');
  await first.exit();
  chmodSync(mailbox, 0o644);
  const before = readFileSync(mailbox);
  refused(['-S', join(dir, 's2'), '-M', mailbox], mailbox);
  assert.deepEqual(readFileSync(mailbox), before);
  chmodSync(mailbox, 0o600);
  const again = new Famez(t, ['fabric', '-S', join(dir, 's2'), '-M', mailbox]);
  await again.line(/listening on /);
  again.child.kill('SIGTERM');
  assert.deepEqual(await again.exit(), { code: 0, signal: null });
});
