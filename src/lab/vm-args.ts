// QEMU's command line for one lab guest: the kernel and initrd, a serial
// console on a unix socket with a log, the fabric's doorbell device and, with
// --fam, the fabric-attached memory as a second (plain) ivshmem device.
import type { DoorbellDevice } from './device.js';
import { doorbellArgs, plainArgs } from './qemu-args.js';

export interface VmPlan {
  name: string;
  kernel: string;
  initrd: string;
  accel: 'kvm' | 'tcg';
  console: string;
  log: string;
  device: DoorbellDevice;
  /** The fabric-attached memory: a file of `size` bytes. */
  fam?: { path: string; size: number };
  memoryMiB?: number;
}

export function vmArgs(plan: VmPlan): string[] {
  const fam =
    plan.fam &&
    plainArgs({
      name: 'fam',
      socketPath: '',
      vectors: 1,
      protocol: 'qemu',
      size: plan.fam.size,
      memPath: plan.fam.path,
    });
  return [
    '-name',
    plan.name,
    '-machine',
    `q35,accel=${plan.accel}`,
    '-cpu',
    plan.accel === 'kvm' ? 'host' : 'max',
    '-m',
    String(plan.memoryMiB ?? 128),
    '-display',
    'none',
    '-monitor',
    'none',
    '-nic',
    'none',
    '-no-reboot',
    '-kernel',
    plan.kernel,
    '-initrd',
    plan.initrd,
    '-append',
    `console=ttyS0 quiet panic=-1 famez.name=${plan.name}`,
    '-chardev',
    `socket,id=con,path=${plan.console.replaceAll(',', ',,')},server=on,wait=off,logfile=${plan.log.replaceAll(',', ',,')}`,
    '-serial',
    'chardev:con',
    ...doorbellArgs(plan.device),
    ...(fam ?? []),
  ];
}
