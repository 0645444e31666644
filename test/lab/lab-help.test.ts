// famez lab --help and docs/lab.md (the README's reference for the lab) document what famez lab takes:
// every option its parser accepts and every command the guest agent answers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { famez } from '../cli/cli.js';
import { LAB_OPTIONS } from '../../src/cli/lab-command.js';

const repoFile = (name: string) => readFileSync(new URL(`../../../${name}`, import.meta.url), 'utf8');

/** The options as a user writes them: --long, or -x where README prefers the short form. */
const options = Object.entries(LAB_OPTIONS).map(([name, spec]) => ({
  long: `--${name}`,
  short: 'short' in spec ? `-${spec.short}` : undefined,
}));

/** The console commands the agent lists in its own help ("send DEST TEXT", ...). */
function agentCommands(): string[] {
  const listed = /say\("commands: ([^"(]+)/.exec(repoFile('guest-agent/agent.c'));
  assert.ok(listed, "the agent's help line");
  return listed[1]!.trim().split(' | ');
}

test('famez lab --help: every option, famez lab down, every guest command; famez help lab says the same', () => {
  const help = famez(['lab', '--help']);
  assert.equal(help.status, 0, help.stderr);
  assert.equal(help.stderr, '');
  const optionLines = help.stdout.split('\n').filter((line) => /^ {2}(-\w, | {4})--/.test(line));
  for (const { long, short } of options) {
    assert.ok(
      optionLines.some(
        (line) => line.split(/[ ,]+/).includes(long) && (!short || line.startsWith(`  ${short}, ${long}`)),
      ),
      long,
    );
  }
  assert.match(help.stdout, /^ +famez lab down \[--dir DIR\]$/m);
  for (const command of agentCommands()) assert.ok(help.stdout.includes(command), `guest command ${command}`);
  assert.equal(famez(['help', 'lab']).stdout, help.stdout);
});

test("docs/lab.md's famez lab section names every option and famez lab down", () => {
  const page = repoFile('docs/lab.md');
  const section = page.slice(page.indexOf('# VMs: famez lab'), page.indexOf('## Your own VMs'));
  assert.ok(section.length > 100, 'the section is there');
  for (const { long, short } of options.filter((o) => o.long !== '--help')) {
    assert.ok(
      section.includes(`${long} `) ||
        section.includes(`${long}\``) ||
        (short !== undefined && section.includes(`${short} `)),
      long,
    );
  }
  assert.match(section, /famez lab down/);
});
