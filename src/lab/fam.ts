// The fabric-attached memory (--fam SIZE:FILE --fam-as MODE) as QEMU devices:
// ivshmem-plain (a PCI BAR), an NVDIMM, or a CXL type-3 device, each on a
// memory-backend-file with share=on. Pure: the words, no I/O.
import { formatSize } from '../memory/size.js';
import type { FamView } from '../web/index.js';
import { qemuValue } from './qemu-args.js';

export const FAM_MODES = ['ivshmem', 'nvdimm', 'cxl'] as const;
export type FamMode = (typeof FAM_MODES)[number];

/** The FAM of a lab or of `famez qemu-args --fam`: a file of `size` bytes, mapped as `as`. */
export interface FamPlan {
  size: number;
  path: string;
  as: FamMode;
}

/** CXL memory comes in 256 MiB units: QEMU and Linux refuse less. */
export const CXL_MIN_SIZE = 256 * 1024 ** 2;
/** The least NVDIMM that holds a 2 MiB-aligned devdax namespace with room for data. */
export const NVDIMM_MIN_SIZE = 16 * 1024 ** 2;
/**
 * Where the data starts in FILE for nvdimm and cxl: the devdax info block (at 4 KiB) and the 2 MiB alignment before it.
 */
export const DAX_DATA_OFFSET = 2 * 1024 ** 2;
/** The CXL label area beside FILE (FILE.label), made by the lab. */
export const CXL_LABEL_SIZE = 1024 ** 2;
/** Every guest's CXL device carries this serial number: the label's interleave-set cookie is made from it. */
export const CXL_SERIAL = '0x46414d455a';

export function famLabelPath(file: string): string {
  return `${file}.label`;
}

/** Why this size cannot be FAM in this mode (one line), or undefined. */
export function famSizeProblem(fam: Pick<FamPlan, 'size' | 'as' | 'path'>): string | undefined {
  const least = fam.as === 'cxl' ? CXL_MIN_SIZE : fam.as === 'nvdimm' ? NVDIMM_MIN_SIZE : 0;
  if (fam.size >= least) return undefined;
  const why = fam.as === 'cxl' ? 'CXL memory comes in 256 MiB units' : 'room for a 2 MiB-aligned DAX namespace';
  return `--fam-as ${fam.as} needs at least ${formatSize(least)} (${why}), not ${formatSize(fam.size)}: give --fam ${least / 1024 ** 2}M:${fam.path}`;
}

/** What the machine needs beside the devices: its -machine options and, for an NVDIMM, memory slots. */
export function famMachine(fam: FamPlan | undefined): { options: string[]; slots: boolean } {
  if (fam?.as === 'nvdimm') return { options: ['nvdimm=on'], slots: true };
  if (fam?.as === 'cxl') return { options: ['cxl=on'], slots: false };
  return { options: [], slots: false };
}

/** The QEMU options of the FAM's devices (not the machine's: famMachine). */
export function famArgs(fam: FamPlan): string[] {
  const backend = `memory-backend-file,id=fam-mem,share=on,mem-path=${qemuValue(fam.path)},size=${fam.size}`;
  switch (fam.as) {
    case 'ivshmem':
      return ['-object', backend, '-device', 'ivshmem-plain,memdev=fam-mem'];
    case 'nvdimm':
      return ['-object', `${backend},align=2M`, '-device', 'nvdimm,id=fam-nvdimm,memdev=fam-mem'];
    case 'cxl': {
      // Two root ports: with one, Linux 6.1 leaves QEMU 7.2's host bridge decoder unprogrammed (reads give zeros).
      const window = Math.max(4 * 1024 ** 3, fam.size);
      return [
        '-object',
        `${backend},align=2M`,
        '-object',
        `memory-backend-file,id=fam-label,share=on,mem-path=${qemuValue(famLabelPath(fam.path))},size=${CXL_LABEL_SIZE}`,
        '-device',
        'pxb-cxl,bus_nr=12,bus=pcie.0,id=fam-cxl',
        '-device',
        'cxl-rp,port=0,bus=fam-cxl,id=fam-rp0,chassis=0,slot=2',
        '-device',
        'cxl-rp,port=1,bus=fam-cxl,id=fam-rp1,chassis=0,slot=3',
        '-device',
        `cxl-type3,bus=fam-rp0,memdev=fam-mem,lsa=fam-label,id=fam-cxl0,sn=${CXL_SERIAL}`,
        '-M',
        `cxl-fmw.0.targets.0=fam-cxl,cxl-fmw.0.size=${window / 1024 ** 3}G`,
      ];
    }
  }
}

/** What a guest calls the FAM and where its data sits in FILE, for the lines the lab and qemu-args print. */
export function famSummary(fam: FamPlan): string {
  switch (fam.as) {
    case 'ivshmem':
      return `an ivshmem-plain device (BAR 2), FILE's byte 0 at offset 0`;
    case 'nvdimm':
      return `an NVDIMM, /dev/dax0.0 in the guest (devdax, map=mem), FILE's data from 2 MiB`;
    case 'cxl':
      return `a CXL type-3 device, a pmem region and /dev/dax0.0 in the guest, its label area in ${famLabelPath(fam.path)}, FILE's data from 2 MiB`;
  }
}

/** How a guest maps the FAM, from its console: undefined while a DAX set-up is not done (or without --fam). */
export function famView(fam: FamPlan | undefined, console: string): FamView | undefined {
  if (!fam) return undefined;
  if (fam.as === 'ivshmem') return { as: 'ivshmem', device: 'BAR 2', file: fam.path };
  const ready = /famez: fam ready \S+ .*\bdevice=(\S+) region=(\S+)/.exec(console);
  return ready ? { as: fam.as, device: ready[1]!, region: ready[2]!, file: fam.path } : undefined;
}

/**
 * The table's cell for a guest's FAM: "ivshmem BAR2", "nvdimm region0 /dev/dax0.0"; undefined while it is not up; ''
 * without --fam.
 */
export function famCell(fam: FamPlan | undefined, console: string): string | undefined {
  if (!fam) return '';
  const view = famView(fam, console);
  if (!view) return undefined;
  return view.as === 'ivshmem' ? 'ivshmem BAR2' : `${view.as} ${view.region} ${view.device}`;
}
