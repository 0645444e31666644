// famez --version and famez help COMMAND, as a user runs them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { famez } from './cli.js';

/** The commands `famez help` lists. */
function listedCommands(): string[] {
  const overview = famez(['help']);
  assert.equal(overview.status, 0, overview.stderr);
  return [...overview.stdout.matchAll(/^ {2}([a-z][a-z-]*) {2,}\S/gm)].map((match) => match[1]!);
}

test('famez help COMMAND prints what famez COMMAND --help prints, exit 0, for every command famez help lists', {
  timeout: 60_000,
}, () => {
  const commands = listedCommands();
  for (const expected of ['server', 'client', 'fabric', 'chat', 'lab'])
    assert.ok(commands.includes(expected), `famez help does not list ${expected}: ${commands.join(', ')}`);
  for (const command of commands) {
    const help = famez(['help', command]);
    const direct = famez([command, '--help']);
    assert.equal(help.status, 0, `famez help ${command}: ${help.stderr}`);
    assert.equal(direct.status, 0, `famez ${command} --help: ${direct.stderr}`);
    assert.match(help.stdout, new RegExp(`^Usage: famez ${command}\\b`), `famez help ${command}`);
    assert.equal(help.stdout, direct.stdout, `famez help ${command} and famez ${command} --help differ`);
    assert.equal(help.stderr, '');
    assert.equal(direct.stderr, '');
  }
});

test('famez help lists every command; famez help NAME of an unknown command is one line, exit 2', {
  timeout: 30_000,
}, () => {
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

test('famez --version and -V print the package version', { timeout: 30_000 }, () => {
  const { version } = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  for (const flag of ['--version', '-V']) {
    const result = famez([flag]);
    assert.equal(result.status, 0);
    assert.equal(result.stdout, `famez ${version}\n`);
  }
});
