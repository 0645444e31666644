// famez lab on a host that cannot run it, as a user meets each case: no QEMU,
// no apt and nothing cached, a kernel that is no kernel, a guest whose /init
// gives up. Each is one clear message, a non-zero exit, and nothing left over.
// (A second lab on the same paths is refused in lab.test.ts.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { famezAsync } from '../cli/cli.js';
import { skipE2e } from '../e2e/harness.js';
import { ensureGuestImage } from '../../src/lab/guest-image.js';
import { processesNaming } from './lab-guests.js';

function scratchDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'famez-lab-bad-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A PATH with every command of this one except `missing`: a directory of links, the first of each name winning. */
function pathWithout(scratch: string, missing: readonly string[]): string {
  const bin = path.join(scratch, 'bin');
  mkdirSync(bin);
  const seen = new Set(missing);
  for (const dir of (process.env.PATH ?? '').split(':').filter(Boolean)) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names.filter((n) => !seen.has(n))) {
      seen.add(name);
      symlinkSync(path.join(dir, name), path.join(bin, name));
    }
  }
  return bin;
}

/** An initramfs (newc, uncompressed) whose /init prints a line and exits: the kernel then panics. */
function initThatGivesUp(scratch: string): string {
  const root = path.join(scratch, 'root');
  mkdirSync(path.join(root, 'bin'), { recursive: true });
  copyFileSync('/bin/busybox', path.join(root, 'bin', 'busybox'));
  chmodSync(path.join(root, 'bin', 'busybox'), 0o755);
  writeFileSync(path.join(root, 'init'), '#!/bin/busybox sh\necho "famez test: this init gives up"\nexit 3\n', {
    mode: 0o755,
  });
  const archive = path.join(scratch, 'initrd.cpio');
  const packed = spawnSync('sh', ['-c', `cd "${root}" && find . | cpio --quiet -o -H newc -R 0:0 > "${archive}"`], {
    encoding: 'utf8',
  });
  assert.equal(packed.status, 0, packed.stderr);
  assert.ok(statSync(archive).size > 0);
  return archive;
}

/** Asserts a failed lab: exit status 1, nothing on stdout past the boot line, no QEMU and no state left. */
function assertFailedCleanly(result: { status: number | null; stdout: string }, dir: string): void {
  assert.equal(result.status, 1);
  assert.doesNotMatch(result.stdout, /^port /m, 'no table');
  assert.equal(existsSync(dir), false, 'no state directory left');
  assert.deepEqual(processesNaming(dir), []);
}

test('famez lab without QEMU on PATH: one line naming the package, exit 1, nothing made', async (t) => {
  const scratch = scratchDir(t);
  const dir = path.join(scratch, 'state');
  const env = { ...process.env, PATH: pathWithout(scratch, ['qemu-system-x86_64']) };
  const result = await famezAsync(['lab', '--dir', dir], 10_000, env);
  assert.equal(
    result.stderr,
    'famez lab: qemu-system-x86_64 not found: install QEMU (Debian: apt-get install qemu-system-x86)\n',
  );
  assert.equal(result.stdout, '');
  assertFailedCleanly(result, dir);
});

test('famez lab on a host without apt and no cached guest: says to give --kernel and --initrd, exit 1', async (t) => {
  const scratch = scratchDir(t);
  const dir = path.join(scratch, 'state');
  const cache = path.join(scratch, 'cache');
  const env = {
    ...process.env,
    PATH: pathWithout(scratch, ['apt-get', 'apt-cache', 'apt', 'dpkg-deb']),
    XDG_CACHE_HOME: cache,
  };
  const result = await famezAsync(['lab', '--dir', dir], 10_000, env);
  const lines = result.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, result.stderr);
  assert.match(
    lines[0]!,
    /^famez lab: no apt-get here to fetch a Debian kernel: give one with --kernel FILE .*--initrd FILE/,
  );
  assert.equal(result.stdout, '');
  assertFailedCleanly(result, dir);
  assert.equal(existsSync(path.join(cache, 'famez', 'lab-guest', 'vmlinuz')), false);
});

test("famez lab --kernel FILE that is no kernel: QEMU's own message in the report, exit 1", {
  skip: skipE2e,
}, async (t) => {
  const scratch = scratchDir(t);
  const dir = path.join(scratch, 'state');
  const bogus = path.join(scratch, 'not-a-kernel');
  writeFileSync(bogus, 'this is no kernel\n'.repeat(64));
  const result = await famezAsync(
    ['lab', '-n', '1', '--tcg', '--kernel', bogus, '--initrd', bogus, '--dir', dir],
    30_000,
  );
  assert.match(
    result.stderr,
    new RegExp(
      `^famez lab: lab1 did not come up: QEMU exited \\(status 1\\); the end of its console \\(${dir}/lab1\\.log\\):\n {2}\\[qemu\\] \\S.*\n$`,
    ),
  );
  assertFailedCleanly(result, dir);
});

test("famez lab with an --initrd whose /init exits: the end of the guest's console, exit 1", {
  skip: skipE2e,
  timeout: 120_000,
}, async (t) => {
  const scratch = scratchDir(t);
  const dir = path.join(scratch, 'state');
  const { kernel } = await ensureGuestImage();
  const result = await famezAsync(
    ['lab', '-n', '1', '--kernel', kernel, '--initrd', initThatGivesUp(scratch), '--dir', dir],
    100_000,
  );
  assert.match(result.stderr, /^famez lab: lab1 did not come up: QEMU exited \(status 0\); the end of its console/);
  const tail = result.stderr.split('\n').slice(1);
  assert.ok(tail.includes('  famez test: this init gives up'), result.stderr);
  assert.ok(
    tail.some((line) => /^ {2}.*Kernel panic - not syncing: Attempted to kill init!/.test(line)),
    result.stderr,
  );
  assertFailedCleanly(result, dir);
});

test('famez lab --fam SIZE:FILE in a directory that does not exist: refused in one line, nothing made', {
  skip: skipE2e,
  timeout: 30_000,
}, async (t) => {
  const scratch = scratchDir(t);
  const dir = path.join(scratch, 'state');
  const missing = path.join(scratch, 'no', 'such');
  const result = await famezAsync(['lab', '--tcg', '--fam', `1M:${missing}/fam.img`, '--dir', dir], 20_000);
  assert.equal(
    result.stderr,
    `famez lab: --fam ${missing}/fam.img: the directory ${missing} does not exist: create it, or name a file in an existing one\n`,
  );
  assert.equal(existsSync(path.join(scratch, 'no')), false, 'the directory was not made');
  assertFailedCleanly(result, dir);
});
