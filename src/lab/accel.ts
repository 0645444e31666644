// KVM when it works here, else TCG. /dev/kvm can open and still fail to run a
// CPU (nested or partial virtualisation), so a QEMU with the guest's CPU is
// started stopped (-S) and must still be running after a short while.
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';

export type Accel = 'kvm' | 'tcg';

const KVM_DEVICE = '/dev/kvm';

/** What is wrong with /dev/kvm, from the error of opening it for reading and writing. */
export function kvmDeviceProblem(code: string | undefined): string {
  if (code === 'ENOENT')
    return `there is no ${KVM_DEVICE} (no hardware virtualisation here, or the kvm module is not loaded)`;
  if (code === 'EACCES' || code === 'EPERM')
    return `${KVM_DEVICE} is not readable and writable by this user: add the user to its group (ls -l ${KVM_DEVICE})`;
  return `${KVM_DEVICE} cannot be opened (${code ?? 'unknown error'})`;
}

export async function probeKvm(qemu: string, waitMs = 1500): Promise<{ ok: boolean; why: string }> {
  try {
    accessSync(KVM_DEVICE, constants.R_OK | constants.W_OK);
  } catch (error) {
    return { ok: false, why: kvmDeviceProblem((error as NodeJS.ErrnoException).code) };
  }
  const child = spawn(
    qemu,
    ['-machine', 'q35,accel=kvm', '-cpu', 'host', '-m', '32', '-display', 'none', '-nodefaults', '-S'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let err = '';
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  child.once('error', () => {
    /* reported through close */
  });
  const timer = new Promise<'running'>((resolve) => setTimeout(() => resolve('running'), waitMs));
  const result = await Promise.race([exited.then(() => 'exited' as const), timer]);
  if (result === 'running') {
    child.kill('SIGKILL');
    await exited;
    return { ok: true, why: '' };
  }
  return { ok: false, why: qemuKvmProblem(err) };
}

/** QEMU's own reason, from its stderr: `QEMU: failed to set MSR ...` (its `error:` is KVM's, not the lab's). */
export function qemuKvmProblem(stderr: string): string {
  const line = stderr
    .trim()
    .split('\n')[0]
    ?.replace(/^qemu-system-\w+: /, '')
    .replace(/^error: /, '');
  return `QEMU: ${line || 'it exited at once with KVM'}`;
}

/** What the lab says when it falls back: a note of why, not an error (the lab works, slower). */
export function tcgNote(why: string): string {
  return `note: KVM not usable here (${why}): using TCG, slower`;
}
