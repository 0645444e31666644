// famez lab takes famez fabric's web options: a page beyond this machine needs
// a token or --http-public, and the refusal names options the lab accepts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { famez } from '../cli/cli.js';

test('famez lab --http on a non-loopback address without a token is refused before anything starts, naming --http-token and --http-public', {
  timeout: 20_000,
}, (t) => {
  const scratch = mkdtempSync(path.join(tmpdir(), 'famez-lab-web-'));
  t.after(() => rmSync(scratch, { recursive: true, force: true }));
  const dir = path.join(scratch, 'state');
  const run = famez(['lab', '--http', '0.0.0.0:0', '--dir', dir]);
  assert.equal(run.status, 2);
  assert.match(run.stderr, /--http 0\.0\.0\.0:0 serves beyond this machine without --http-token: .*--http-public/);
  assert.equal(run.stderr.trim().split('\n').length, 1, 'one line');
  assert.equal(existsSync(dir), false, 'no state directory was made');
  const help = famez(['lab', '--help']);
  for (const option of ['--http-token', '--http-public', '--http-allow-host', '--http-events'])
    assert.match(help.stdout, new RegExp(option));
});

test('famez lab --http-token without --http is refused with one line', { timeout: 20_000 }, () => {
  const run = famez(['lab', '--http-token', '/nonexistent']);
  assert.equal(run.status, 2);
  assert.match(run.stderr, /--http-token needs --http/);
});
