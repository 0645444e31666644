// QEMU command-line stanzas for a famez device, as words and as shell text.
import type { DoorbellDevice } from './device.js';

/** QEMU's option values: a comma inside a value is written twice. */
export function qemuValue(text: string): string {
  return text.replaceAll(',', ',,');
}

/** Quotes a word for a POSIX shell only when it needs it. */
export function shellWord(word: string): string {
  return /^[A-Za-z0-9_./,=:@%+-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}

export function shellLine(words: readonly string[]): string {
  return words.map(shellWord).join(' ');
}

/** The doorbell device: QEMU >= 2.5 `ivshmem-doorbell`, or the QEMU <= 2.4 `ivshmem` device for the legacy protocol. */
export function doorbellArgs(device: DoorbellDevice): string[] {
  const chardev = ['-chardev', `socket,path=${qemuValue(device.socketPath)},id=${device.name}`];
  if (device.protocol === 'legacy') {
    return [
      ...chardev,
      '-device',
      `ivshmem,chardev=${device.name},size=${device.size / 1024 ** 2}M,vectors=${device.vectors},msi=on`,
    ];
  }
  return [...chardev, '-device', `ivshmem-doorbell,chardev=${device.name},vectors=${device.vectors}`];
}

/** The memory alone, mapped by QEMU itself (`ivshmem-plain`): undefined when the backing has no path. */
export function plainArgs(device: DoorbellDevice): string[] | undefined {
  if (device.memPath === undefined) return undefined;
  const memdev = `${device.name}-mem`;
  return [
    '-object',
    `memory-backend-file,id=${memdev},share=on,mem-path=${qemuValue(device.memPath)},size=${device.size}`,
    '-device',
    `ivshmem-plain,memdev=${memdev}`,
  ];
}

/** What `famez qemu-args` prints: the doorbell stanza and, when there is one, the plain form, each under a comment. */
export function qemuArgsText(device: DoorbellDevice, form: 'all' | 'doorbell' | 'plain'): string {
  const plain = plainArgs(device);
  if (form === 'doorbell') return `${shellLine(doorbellArgs(device))}\n`;
  if (form === 'plain') {
    if (!plain) throw new Error(`no ivshmem-plain form: ${device.noPlainReason ?? 'the memory has no path'}`);
    return `${shellLine(plain)}\n`;
  }
  const doorbellTitle =
    device.protocol === 'legacy'
      ? 'QEMU <= 2.4 (the legacy ivshmem device, removed in QEMU 4.0)'
      : `QEMU >= 2.5: memory and ${device.vectors} doorbell${device.vectors === 1 ? '' : 's'} from ${device.socketPath}`;
  const lines = [`# ${doorbellTitle}`, shellLine(doorbellArgs(device))];
  if (plain)
    lines.push(
      `# or the memory alone, no doorbells (ivshmem-plain; QEMU maps ${device.memPath} itself)`,
      shellLine(plain),
    );
  else if (device.noPlainReason) lines.push(`# no ivshmem-plain form: ${device.noPlainReason}`);
  return `${lines.join('\n')}\n`;
}
