// The FAM's stanza for `famez qemu-args --fam` and `famez libvirt-xml --fam`: the
// devices the lab gives its guests (fam.ts), for a VM of one's own.
import { formatSize } from '../memory/size.js';
import { DAX_DATA_OFFSET, famArgs, famMachine, famSummary, type FamPlan } from './fam.js';
import { shellLine } from './qemu-args.js';

/** What the guest does with it, said in a comment. */
function guestSteps(fam: FamPlan): string {
  switch (fam.as) {
    case 'ivshmem':
      return 'the guest maps BAR 2 of the ivshmem-plain device (1af4:1110)';
    case 'nvdimm':
      return 'the first guest: ndctl create-namespace -f -e namespace0.0 -m devdax -M mem -a 2M; the others find /dev/dax0.0 from its info block';
    case 'cxl':
      return 'the first guest: cxl create-region -t pmem -d decoder0.0 -m mem0, then ndctl create-namespace -m devdax -M mem -a 2M; the others, after it, the region only';
  }
}

function machineWords(fam: FamPlan): string[] {
  const { options } = famMachine(fam);
  return options.length ? ['-machine', options.join(',')] : [];
}

/** The QEMU options, under a comment that says what else the machine needs. */
export function famQemuText(fam: FamPlan): string {
  const slots = famMachine(fam).slots
    ? `; -m needs slots and room: -m RAM,slots=2,maxmem=RAM+${formatSize(fam.size).replace(' ', '')}`
    : '';
  return [
    `# the fabric-attached memory ${fam.path} (${formatSize(fam.size)}) as ${famSummary(fam)}${slots}`,
    `# ${guestSteps(fam)}`,
    shellLine([...machineWords(fam), ...famArgs(fam)]),
  ].join('\n');
}

function xmlText(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll("'", '&apos;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

function xmlComment(text: string): string {
  return text.replaceAll('--', '-\u2010');
}

/**
 * libvirt's <memory model='nvdimm'> where libvirt has the device; QEMU's own options passed through where it has not.
 */
export function famLibvirtText(fam: FamPlan): string {
  const head = `<!-- the fabric-attached memory ${xmlComment(fam.path)} (${formatSize(fam.size)}) as ${xmlComment(famSummary(fam))}; ${xmlComment(guestSteps(fam))} -->`;
  if (fam.as === 'nvdimm')
    return [
      head,
      "<!-- in <devices>; the domain needs <maxMemory slots='2'> with room for it and a NUMA cell (<cpu><numa>) -->",
      "<memory model='nvdimm' access='shared'>",
      '  <source>',
      `    <path>${xmlText(fam.path)}</path>`,
      `    <alignsize unit='KiB'>${DAX_DATA_OFFSET / 1024}</alignsize>`,
      '  </source>',
      '  <target>',
      `    <size unit='KiB'>${fam.size / 1024}</size>`,
      '    <node>0</node>',
      '  </target>',
      '</memory>',
    ].join('\n');
  const why =
    fam.as === 'cxl'
      ? 'libvirt 9.x has no CXL device model'
      : 'libvirt maps only /dev/shm/<name> as ivshmem-plain memory';
  return [
    head,
    `<!-- ${why}: QEMU's own options, passed through; a child of <domain>, not of <devices> -->`,
    "<qemu:commandline xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>",
    ...[...machineWords(fam), ...famArgs(fam)].map((word) => `  <qemu:arg value='${xmlText(word)}'/>`),
    '</qemu:commandline>',
  ].join('\n');
}
