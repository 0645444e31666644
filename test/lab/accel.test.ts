// The lab's KVM message says what is actually wrong with /dev/kvm.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kvmDeviceProblem } from '../../src/lab/accel.js';

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
