// The lab's KVM message says what is actually wrong with /dev/kvm, as a note: the lab goes on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accessSync, constants, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kvmDeviceProblem, probeKvm, qemuKvmProblem, tcgNote } from '../../src/lab/accel.js';
import { tempDir } from '../server/helpers.js';
import { famezAsync } from '../cli/cli.js';

test('no /dev/kvm and a /dev/kvm this user may not use are told apart', { timeout: 5_000 }, () => {
  assert.match(
    kvmDeviceProblem('ENOENT'),
    /^there is no \/dev\/kvm \(no hardware virtualisation here, or the kvm module is not loaded\)$/,
  );
  assert.match(
    kvmDeviceProblem('EACCES'),
    /^\/dev\/kvm is not readable and writable by this user: add the user to its group/,
  );
  assert.match(kvmDeviceProblem('EIO'), /^\/dev\/kvm cannot be opened \(EIO\)$/);
});

test("KVM that opens but cannot run is a note with QEMU's reason, not an error: the lab goes on with TCG", {
  timeout: 10_000,
}, async (t) => {
  const said = 'qemu-system-x86_64: error: failed to set MSR 0x10a to 0x69\n';
  assert.equal(
    tcgNote(qemuKvmProblem(said)),
    'note: KVM not usable here (QEMU: failed to set MSR 0x10a to 0x69): using TCG, slower',
  );
  assert.equal(tcgNote(kvmDeviceProblem('ENOENT')).startsWith('note: KVM not usable here (there is no /dev/kvm'), true);
  // The probe itself, against a QEMU that fails as this one does (it needs a /dev/kvm that opens).
  try {
    accessSync('/dev/kvm', constants.R_OK | constants.W_OK);
  } catch {
    t.diagnostic('no usable /dev/kvm here: the probe stops before QEMU');
    return;
  }
  const fake = join(tempDir(t), 'qemu');
  writeFileSync(fake, `#!/bin/sh\nprintf '${said.trim()}\\n' >&2\nexit 1\n`, { mode: 0o755 });
  assert.deepEqual(await probeKvm(fake), { ok: false, why: 'QEMU: failed to set MSR 0x10a to 0x69' });
});

test('famez lab as typed, where KVM opens but QEMU cannot use it: a note, then TCG (no guest boots: a stand-in QEMU)', {
  timeout: 60_000,
}, async (t) => {
  const dir = tempDir(t);
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  // The probe gets QEMU's own complaint; the guests' QEMUs end at once (the lab then reports them).
  writeFileSync(
    join(bin, 'qemu-system-x86_64'),
    `#!/bin/sh\ncase "$*" in *accel=kvm*) echo 'qemu-system-x86_64: error: failed to set MSR 0x10a to 0x69' >&2;; esac\nexit 1\n`,
    { mode: 0o755 },
  );
  writeFileSync(join(dir, 'vmlinuz'), '');
  writeFileSync(join(dir, 'initrd'), '');
  const env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
  const lab = await famezAsync(
    ['lab', '-n', '1', '--dir', join(dir, 'state'), '--kernel', join(dir, 'vmlinuz'), '--initrd', join(dir, 'initrd')],
    30_000,
    env,
  );
  const note = lab.stdout.split('\n').find((line) => line.includes('KVM not usable'));
  assert.ok(note, lab.stdout + lab.stderr);
  assert.match(note, /^famez lab: note: KVM not usable here \(.+\): using TCG, slower$/);
  assert.doesNotMatch(note, /error/, 'the reason KVM was not used is no error of the lab');
  assert.match(lab.stdout, /booting \(TCG\)/);
});
