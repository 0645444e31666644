// QEMU's command line for one lab guest: the kernel and initrd, a serial
// console on a unix socket with a log, the fabric's doorbell device and, with
// --fam, the fabric-attached memory: a second (plain) ivshmem device, an NVDIMM
// or a CXL type-3 device (fam.ts).
import type { DoorbellDevice } from './device.js';
import { famArgs, famMachine, type FamPlan } from './fam.js';
import { doorbellArgs } from './qemu-args.js';

export interface VmPlan {
  name: string;
  kernel: string;
  initrd: string;
  accel: 'kvm' | 'tcg';
  console: string;
  log: string;
  device: DoorbellDevice;
  /** The fabric-attached memory: a file of `size` bytes. */
  fam?: FamPlan;
  /** nvdimm and cxl: the guest that formats the FAM (the others wait for its word). */
  famFirst?: string;
  memoryMiB?: number;
}

export function vmArgs(plan: VmPlan): string[] {
  const machine = famMachine(plan.fam);
  // The DAX initrd (ndctl, its libraries) does not unpack in 128 MiB beside Debian's kernel.
  const memory = plan.memoryMiB ?? (plan.fam && plan.fam.as !== 'ivshmem' ? 256 : 128);
  const dax = plan.fam && plan.fam.as !== 'ivshmem' ? ` famez.fam=${plan.fam.as} famez.fam.first=${plan.famFirst}` : '';
  return [
    '-name',
    plan.name,
    '-machine',
    ['q35', `accel=${plan.accel}`, ...machine.options].join(','),
    '-cpu',
    plan.accel === 'kvm' ? 'host' : 'max',
    '-m',
    machine.slots ? `${memory}M,slots=2,maxmem=${memory * 1024 ** 2 + plan.fam!.size}` : String(memory),
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
    `console=ttyS0 quiet panic=-1 famez.name=${plan.name}${dax}`,
    '-chardev',
    `socket,id=con,path=${plan.console.replaceAll(',', ',,')},server=on,wait=off,logfile=${plan.log.replaceAll(',', ',,')}`,
    '-serial',
    'chardev:con',
    ...doorbellArgs(plan.device),
    ...(plan.fam ? famArgs(plan.fam) : []),
  ];
}
