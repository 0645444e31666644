// KVM when it works here, else TCG. /dev/kvm can open and still fail to run a
// CPU (nested or partial virtualisation), so a QEMU with the guest's CPU is
// started stopped (-S) and must still be running after a short while.
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';

export type Accel = 'kvm' | 'tcg';

export async function probeKvm(qemu: string, waitMs = 1500): Promise<{ ok: boolean; why: string }> {
  try {
    accessSync('/dev/kvm', constants.R_OK | constants.W_OK);
  } catch {
    return { ok: false, why: '/dev/kvm is not usable by this user' };
  }
  const child = spawn(qemu, ['-machine', 'q35,accel=kvm', '-cpu', 'host', '-m', '32', '-display', 'none', '-nodefaults', '-S'],
    { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  child.once('error', () => { /* reported through close */ });
  const timer = new Promise<'running'>((resolve) => setTimeout(() => resolve('running'), waitMs));
  const result = await Promise.race([exited.then(() => 'exited' as const), timer]);
  if (result === 'running') {
    child.kill('SIGKILL');
    await exited;
    return { ok: true, why: '' };
  }
  return { ok: false, why: err.trim().split('\n')[0] || 'QEMU with KVM exited at once' };
}
