// `famez qemu-args` and `famez libvirt-xml`: the device stanza for the options
// `famez server` or `famez fabric` is (or will be) run with.
import { fabricDevice, serverDevice } from '../lab/device-plan.js';
import type { DoorbellDevice } from '../lab/device.js';
import { libvirtXmlText } from '../lab/libvirt-xml.js';
import { qemuArgsText } from '../lab/qemu-args.js';
import { planFabric } from './fabric-command.js';
import { planServer } from './server-command.js';
import { choice, UsageError } from './usage.js';

const FORMS = ['all', 'doorbell', 'plain'] as const;
type Form = (typeof FORMS)[number];

function help(command: string, what: string): string {
  return `Usage: ${command} [server|fabric] [--form all|doorbell|plain] [options of famez server or famez fabric]
Prints ${what} for a guest of a famez server (the default) or fabric run with the same options:
  ${command} -S /run/famez/iv.sock -l 64M -n 4
  ${command} fabric -n 14

  --form doorbell   only the doorbell device (memory and doorbells through the socket)
  --form plain      only the memory, mapped by QEMU itself (ivshmem-plain; shm or file backings)
  --form all        both, each under a comment (default)
`;
}

/** Takes `[server|fabric]` and `--form` off the front/anywhere; the rest is the server's or fabric's options. */
function plan(command: string, args: string[]): { device: DoorbellDevice; form: Form } | 'help' {
  const rest = [...args];
  const kind = rest[0] === 'server' || rest[0] === 'fabric' ? rest.shift()! : 'server';
  let form: Form = 'all';
  const at = rest.findIndex((arg) => arg === '--form' || arg.startsWith('--form='));
  if (at >= 0) {
    const [taken] = rest.splice(at, 1);
    const value = taken!.includes('=') ? taken!.slice('--form='.length) : rest.splice(at, 1)[0];
    if (value === undefined) throw new UsageError(`${command}: --form needs a value: ${FORMS.join(', ')}`);
    form = choice('--form', value, FORMS);
  }
  if (rest.includes('-h') || rest.includes('--help')) return 'help';
  if (kind === 'fabric') {
    const fabric = planFabric(rest);
    if (fabric === 'help') return 'help';
    return { device: fabricDevice(fabric.fabric.socketPath, fabric.fabric.nClients), form };
  }
  const server = planServer(rest);
  if (server === 'help') return 'help';
  const { socketPath, memory, vectors, protocol } = server.server;
  return {
    device: serverDevice({ socketPath: socketPath!, memory: memory!, vectors: vectors!, protocol: protocol ?? 'qemu' }),
    form,
  };
}

function run(command: string, what: string, text: (device: DoorbellDevice, form: Form) => string) {
  return async (args: string[]): Promise<number> => {
    const planned = plan(command, args);
    if (planned === 'help') {
      process.stdout.write(help(command, what));
      return 0;
    }
    try {
      process.stdout.write(text(planned.device, planned.form));
    } catch (error) {
      throw new UsageError(`${command}: ${(error as Error).message}`);
    }
    return 0;
  };
}

export const runQemuArgs = run('famez qemu-args', 'the QEMU options', qemuArgsText);
export const runLibvirtXml = run('famez libvirt-xml', "libvirt's <shmem> element", libvirtXmlText);
