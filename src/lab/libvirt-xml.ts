// libvirt's <shmem> element for a famez device.
import type { DoorbellDevice } from './device.js';

function xmlAttr(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll("'", '&apos;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/** The size in the largest whole unit libvirt takes. */
function sizeElement(bytes: number): string {
  for (const [unit, scale] of [
    ['G', 1024 ** 3],
    ['M', 1024 ** 2],
    ['K', 1024],
  ] as const) {
    if (bytes % scale === 0) return `<size unit='${unit}'>${bytes / scale}</size>`;
  }
  return `<size unit='b'>${bytes}</size>`;
}

/** libvirt's QEMU driver refuses a shmem size below this ("shmem size must be at least 1 MiB"). */
export const LIBVIRT_MIN_SHMEM = 1024 ** 2;

/**
 * The doorbell device: libvirt's QEMU connects to the server's socket. No
 * size: the server provides the memory (and a fabric's mailbox is smaller
 * than the 1 MiB libvirt takes).
 */
export function doorbellXml(device: DoorbellDevice): string {
  return [
    `<shmem name='${xmlAttr(device.name)}'>`,
    "  <model type='ivshmem-doorbell'/>",
    `  <server path='${xmlAttr(device.socketPath)}'/>`,
    `  <msi vectors='${device.vectors}' ioeventfd='on'/>`,
    '</shmem>',
  ].join('\n');
}

/** Why libvirt cannot map the memory alone, if it cannot: it maps only /dev/shm/<name>, of 1 MiB or more. */
export function plainProblem(device: DoorbellDevice): string | undefined {
  const shmName = device.memPath?.startsWith('/dev/shm/') ? device.memPath.slice('/dev/shm/'.length) : undefined;
  if (shmName === undefined || shmName.includes('/'))
    return `libvirt maps only /dev/shm/<name>${device.memPath ? `, not ${device.memPath}` : ''}`;
  if (device.size < LIBVIRT_MIN_SHMEM)
    return `libvirt refuses shmem smaller than 1 MiB (this memory has ${device.size} bytes): serve at least -l 1M`;
  return undefined;
}

/** The memory alone: libvirt maps /dev/shm/<name> itself (only that, and only of 1 MiB or more). */
export function plainXml(device: DoorbellDevice): string | undefined {
  if (plainProblem(device) !== undefined) return undefined;
  const shmName = device.memPath!.slice('/dev/shm/'.length);
  return [
    `<shmem name='${xmlAttr(shmName)}'>`,
    "  <model type='ivshmem-plain'/>",
    `  ${sizeElement(device.size)}`,
    '</shmem>',
  ].join('\n');
}

/** What `famez libvirt-xml` prints: the doorbell element and, for memory in /dev/shm, the plain one. */
export function libvirtXmlText(device: DoorbellDevice, form: 'all' | 'doorbell' | 'plain'): string {
  const plain = plainXml(device);
  if (form === 'doorbell') return `${doorbellXml(device)}\n`;
  if (form === 'plain') {
    if (!plain) throw new Error(`no ivshmem-plain form: ${plainProblem(device)!}`);
    return `${plain}\n`;
  }
  const lines = [
    `<!-- memory and ${device.vectors} doorbell${device.vectors === 1 ? '' : 's'} from ${xmlComment(device.socketPath)} -->`,
    doorbellXml(device),
  ];
  if (plain) lines.push('<!-- or the memory alone, no doorbells -->', plain);
  return `${lines.join('\n')}\n`;
}

function xmlComment(text: string): string {
  return text.replaceAll('--', '-\u2010');
}
