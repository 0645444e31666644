// `famez qemu-args` and `famez libvirt-xml`: the device stanza for the options
// `famez server` or `famez fabric` is (or will be) run with.
import { fabricDevice, serverDevice } from '../lab/device-plan.js';
import type { DoorbellDevice } from '../lab/device.js';
import { famLibvirtText, famQemuText } from '../lab/fam-config.js';
import type { FamPlan } from '../lab/fam.js';
import { libvirtXmlText } from '../lab/libvirt-xml.js';
import { defaultFamFile } from '../lab/paths.js';
import { qemuArgsText } from '../lab/qemu-args.js';
import { famOption } from './fam-option.js';
import { planFabric } from './fabric-command.js';
import { planServer } from './server-command.js';
import { choice, UsageError } from './usage.js';

const FORMS = ['all', 'doorbell', 'plain', 'fam'] as const;
type Form = (typeof FORMS)[number];

function help(command: string, what: string): string {
  return `Usage: ${command} [server|fabric] [--form all|doorbell|plain|fam] [--fam SIZE:FILE [--fam-as MODE]]
       [options of famez server or famez fabric]
Prints ${what} for a guest of a famez server (the default) or fabric run with the same options:
  ${command} -S /run/famez/iv.sock -l 64M -n 4
  ${command} fabric -n 14

  --form doorbell   only the doorbell device (memory and doorbells through the socket)
  --form plain      only the memory, mapped by QEMU itself (ivshmem-plain; shm or file backings)
  --form fam        only the fabric-attached memory of --fam
  --form all        each, under a comment (default)
  --fam SIZE:FILE   also the fabric-attached memory as famez lab gives it: a file of SIZE
  --fam-as MODE     ivshmem (default), nvdimm or cxl (at least 256M), as famez lab --fam-as
`;
}

/** Takes `[server|fabric]` and `--form` off the front/anywhere; the rest is the server's or fabric's options. */
/** Takes `NAME VALUE` or `NAME=VALUE` out of `rest`: the value, or undefined. */
function take(command: string, rest: string[], name: string, values: string): string | undefined {
  const at = rest.findIndex((arg) => arg === name || arg.startsWith(`${name}=`));
  if (at < 0) return undefined;
  const [taken] = rest.splice(at, 1);
  const value = taken!.includes('=') ? taken!.slice(name.length + 1) : rest.splice(at, 1)[0];
  if (value === undefined) throw new UsageError(`${command}: ${name} needs a value: ${values}`);
  return value;
}

interface Planned {
  device: DoorbellDevice;
  form: Form;
  fam?: FamPlan;
}

function plan(command: string, args: string[]): Planned | 'help' {
  const rest = [...args];
  const kind = rest[0] === 'server' || rest[0] === 'fabric' ? rest.shift()! : 'server';
  const formText = take(command, rest, '--form', FORMS.join(', '));
  const form: Form = formText === undefined ? 'all' : choice('--form', formText, FORMS);
  const fam = famOption(
    command,
    take(command, rest, '--fam', 'SIZE:FILE'),
    take(command, rest, '--fam-as', 'ivshmem, nvdimm or cxl'),
    defaultFamFile(),
  );
  if (form === 'fam' && !fam) throw new UsageError(`${command}: --form fam needs --fam SIZE:FILE`);
  if (rest.includes('-h') || rest.includes('--help')) return 'help';
  if (kind === 'fabric') {
    const fabric = planFabric(rest);
    if (fabric === 'help') return 'help';
    return { device: fabricDevice(fabric.fabric.socketPath, fabric.fabric.nClients), form, fam };
  }
  const server = planServer(rest);
  if (server === 'help') return 'help';
  const { socketPath, memory, vectors, protocol } = server.server;
  return {
    device: serverDevice({ socketPath: socketPath!, memory: memory!, vectors: vectors!, protocol: protocol ?? 'qemu' }),
    form,
    fam,
  };
}

type DeviceForm = Exclude<Form, 'fam'>;

function run(
  command: string,
  what: string,
  text: (device: DoorbellDevice, form: DeviceForm) => string,
  famText: (fam: FamPlan) => string,
) {
  return async (args: string[]): Promise<number> => {
    const planned = plan(command, args);
    if (planned === 'help') {
      process.stdout.write(help(command, what));
      return 0;
    }
    try {
      const { device, form, fam } = planned;
      const famPart = fam ? `${famText(fam)}\n` : '';
      process.stdout.write(form === 'fam' ? famPart : text(device, form) + (form === 'all' ? famPart : ''));
    } catch (error) {
      throw new UsageError(`${command}: ${(error as Error).message}`);
    }
    return 0;
  };
}

export const runQemuArgs = run('famez qemu-args', 'the QEMU options', qemuArgsText, famQemuText);
export const runLibvirtXml = run('famez libvirt-xml', "libvirt's <shmem> element", libvirtXmlText, famLibvirtText);
