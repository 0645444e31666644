// --http-token FILE as a careless user or another local user could give it:
// a FIFO (must not hang the start), a symlink, a file another user owns (that
// user could change the token), a file far larger than a token. Each is
// refused before anything starts, in one line naming the file.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { chownSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { famez } from '../cli/cli.js';
import { tempDir } from '../server/helpers.js';
import { TOKEN } from './web-harness.js';

const IS_ROOT = process.geteuid?.() === 0;

function refused(dir: string, tokenFile: string, pattern: RegExp): void {
  const args = ['fabric', '-S', join(dir, 'sock'), '-M', join(dir, 'mailbox'), '--http', '0'];
  const result = famez([...args, '--http-token', tokenFile]);
  assert.equal(result.status, 2, `${tokenFile}: ${result.stderr}`);
  assert.match(result.stderr, pattern);
  assert.equal(result.stderr.trim().split('\n').length, 1, `one line: ${result.stderr}`);
}

test('a FIFO, a symlink or an oversized file as --http-token is refused at once, in one line', {
  timeout: 60_000,
}, (t) => {
  const dir = tempDir(t);
  const fifo = join(dir, 'fifo');
  execFileSync('mkfifo', ['-m', '600', fifo]);
  refused(dir, fifo, /--http-token: .*fifo is not a regular file/);
  const file = join(dir, 'token');
  writeFileSync(file, `${TOKEN}\n`, { mode: 0o600 });
  const link = join(dir, 'link');
  symlinkSync(file, link);
  refused(dir, link, /--http-token: .*link is a symlink: name the token file itself/);
  const big = join(dir, 'big');
  writeFileSync(big, `${TOKEN}${' '.repeat(8192)}`, { mode: 0o600 });
  refused(dir, big, /--http-token: .*big has 8\d{3} bytes: a token file holds one word/);
});

test('a token file of another user, mode 0600, is refused', {
  timeout: 30_000,
  skip: IS_ROOT ? false : 'needs root to give the file to another uid',
}, (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'token');
  writeFileSync(file, `${TOKEN}\n`, { mode: 0o600 });
  chownSync(file, 65534, 65534);
  refused(
    dir,
    file,
    /--http-token: .*token belongs to uid 65534, not to famez's uid 0: that user could change the token/,
  );
});
