// The event log: text a peer wrote cannot forge a line or reach the terminal
// (control characters escaped); a log file is never opened through a symlink,
// is created 0600, and a SIGHUP reopen that fails keeps the old file and says so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, renameSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { escapeControls, Logger, LogFileError } from '../../src/cli/logger.js';
import { tempDir } from '../server/helpers.js';

const TIMEOUT = { timeout: 10_000 };
const TIME = '\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z';

test('control characters are escaped: a nodename with a newline or ESC stays on its line', TIMEOUT, async (t) => {
  assert.equal(escapeControls('a\nb\rc\td\x1b[31me\x00f\x7f\x9bg'), 'a\\nb\\rc\\td\\x1b[31me\\x00f\\x7f\\x9bg');
  assert.equal(escapeControls('Z-switch ünïcode ✓'), 'Z-switch ünïcode ✓');
  const path = join(tempDir(t), 'log');
  const log = new Logger({ path });
  const forged = `evil\n${new Date().toISOString()} peer 9 joined (pid 1, uid 0, gid 0)\x1b]0;owned\x07`;
  log.info('peer-names', `peer 3 is ${forged}`);
  await log.close();
  const lines = readFileSync(path, 'utf8').split('\n');
  assert.equal(lines.length, 2, 'one line and the final newline');
  assert.match(
    lines[0]!,
    new RegExp(`^${TIME} peer 3 is evil\\\\n${TIME} peer 9 joined \\(pid 1, uid 0, gid 0\\)\\\\x1b\\]0;owned\\\\x07$`),
  );
});

test('JSON lines carry the text escaped by JSON itself, one object per line', TIMEOUT, async (t) => {
  const path = join(tempDir(t), 'log');
  const log = new Logger({ path, format: 'json' });
  log.info('peer-names', 'a\nb\x1b', { nodename: 'x\ny\u202e\u2028' });
  await log.close();
  const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
  assert.equal(lines.length, 1);
  const entry = JSON.parse(lines[0]!) as { message: string; nodename: string };
  assert.equal(entry.message, 'a\nb\x1b');
  assert.equal(entry.nodename, 'x\ny\u202e\u2028');
  assert.doesNotMatch(lines[0]!, /[\u202e\u2028]/, 'separators and bidi controls as JSON escapes, not raw');
});

test('a log file is created 0600 and never opened through a symlink', TIMEOUT, async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'log');
  const previous = process.umask(0);
  try {
    await new Logger({ path }).close();
  } finally {
    process.umask(previous);
  }
  assert.equal(statSync(path).mode & 0o777, 0o600);
  const target = join(dir, 'target');
  writeFileSync(target, 'not a log\n');
  const link = join(dir, 'ivshmsg_log');
  symlinkSync(target, link);
  assert.throws(
    () => new Logger({ path: link }),
    (error: Error) =>
      error instanceof LogFileError &&
      error.message === `log file ${link} is a symlink; famez never follows one: remove it or give another log file`,
  );
  assert.equal(readFileSync(target, 'utf8'), 'not a log\n');
});

test('a reopen that fails keeps writing to the old file and warns there', TIMEOUT, async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'log');
  const log = new Logger({ path });
  log.info('one', 'before the rotation');
  renameSync(path, `${path}.1`);
  symlinkSync(join(dir, 'elsewhere'), path); // what the reopen meets: refused
  log.reopen();
  log.info('two', 'after the failed reopen');
  await log.close();
  const lines = readFileSync(`${path}.1`, 'utf8').trimEnd().split('\n');
  assert.equal(lines.length, 3, lines.join('\n'));
  assert.match(
    lines[1]!,
    new RegExp(
      `^${TIME} warning: log file ${path} is a symlink; famez never follows one: remove it or give another log file; ` +
        'still logging to the file opened before$',
    ),
  );
  assert.match(lines[2]!, /after the failed reopen$/);
});
