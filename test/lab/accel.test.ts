// The lab's KVM message says what is actually wrong with /dev/kvm, as a note: the lab goes on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accessSync, constants, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kvmDeviceProblem, probeKvm, qemuKvmProblem, tcgNote } from '../../src/lab/accel.js';
import { tempDir } from '../server/helpers.js';

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
