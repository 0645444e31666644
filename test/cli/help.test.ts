// famez --version and famez help COMMAND, as a user runs them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { famez } from './cli.js';

test('famez help COMMAND prints what famez COMMAND --help prints, exit 0', () => {
  for (const command of ['server', 'client']) {
    const help = famez(['help', command]);
    const direct = famez([command, '--help']);
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, new RegExp(`^Usage: famez ${command} \\[options\\]\n`));
    assert.equal(help.stdout, direct.stdout);
    assert.equal(help.stderr, '');
  }
});

test('famez help lists every command; famez help NAME of an unknown command is one line, exit 2', () => {
  const overview = famez(['help']);
  assert.equal(overview.status, 0);
  assert.match(overview.stdout, /^ {2}server +run an ivshmem server/m);
  assert.match(overview.stdout, /^ {2}client +connect as a host peer/m);
  const unknown = famez(['help', 'nonesuch']);
  assert.equal(unknown.status, 2);
  assert.equal(unknown.stdout, '');
  assert.match(unknown.stderr, /^famez: unknown command "nonesuch": use server, client/);
  assert.equal(unknown.stderr.trimEnd().split('\n').length, 1);
});

test('famez --version and -V print the package version', () => {
  const { version } = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  for (const flag of ['--version', '-V']) {
    const result = famez([flag]);
    assert.equal(result.status, 0);
    assert.equal(result.stdout, `famez ${version}\n`);
  }
});
