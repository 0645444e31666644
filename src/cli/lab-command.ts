// `famez lab` and `famez lab down`.
import { runLab as startLab } from '../lab/lab.js';
import { famOption } from './fam-option.js';
import { LabError, stopLab } from '../lab/lab-lock.js';
import { defaultFamFile, labStateDir } from '../lab/paths.js';
import { FAMEZ_HTTP_PORT } from '../web/index.js';
import { shellWord } from '../lab/qemu-args.js';
import { famezCommand } from './invocation.js';
import { integer, parseOptions, UsageError } from './usage.js';
import { defaultHttpPort, planWeb, WEB_OPTIONS, webHelp } from './web-options.js';
import { checkClusterOptions, CLUSTER_HELP, CLUSTER_OPTIONS, planClusterOptions } from './cluster-options.js';

const COMMAND = 'famez lab';

export const LAB_OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  guests: { type: 'string', short: 'n' },
  plain: { type: 'boolean' },
  fam: { type: 'string' },
  'fam-as': { type: 'string' },
  kvm: { type: 'boolean' },
  tcg: { type: 'boolean' },
  dir: { type: 'string' },
  kernel: { type: 'string' },
  initrd: { type: 'string' },
  ...WEB_OPTIONS,
  ...CLUSTER_OPTIONS,
} as const;

const LAB_HELP = `Usage: famez lab [-n N] [--plain] [--fam SIZE[:FILE] [--fam-as ivshmem|nvdimm|cxl]] [--kvm|--tcg] [--dir DIR]
                 [--kernel FILE] [--initrd FILE] [--http [ADDR:]PORT [--http-*]]
       famez lab down [--dir DIR]
Boots N tiny QEMU guests (default 2) on a famez fabric it starts, waits until the switch
has configured every guest's link, prints a table (port, nodename, CID, link, console)
and how to chat with them, and runs until Ctrl-C or \`famez lab down\`, which stop
everything and remove what it made. Each guest runs an agent on its serial console:
it prints every message (and, with --plain, every doorbell) it receives and takes help,
send DEST TEXT, ping DEST, who, link, ring PEER VECTOR (a bare doorbell), and with --fam:
fam write OFF TEXT, fam read OFF LEN, fam info.

  -n, --guests N         guests, 1..32 (default 2)
      --plain            a plain famez server instead of a fabric (no mailbox: guests
                         reach each other with ring PEER VECTOR, PEER the port)
      --fam SIZE[:FILE]  also fabric-attached memory: a second (ivshmem-plain) device in
                         every guest, backed by FILE (in an existing directory), kept
                         after the lab (default ${defaultFamFile()})
      --fam-as MODE      how the guests map it: ivshmem (default: a PCI BAR), nvdimm (an
                         NVDIMM, /dev/dax0.0) or cxl (a CXL type-3 device, at least 256M,
                         a region and /dev/dax0.0; its label area in FILE.label): lab1
                         formats a FILE the lab made (FILE.famez marks it), the others wait
                         for its word; the data starts 2 MiB into FILE
      --kvm, --tcg       force the accelerator (default: KVM when it works here, else TCG)
      --dir DIR          state: sockets, consoles, logs (default ${labStateDir()})
      --kernel FILE      the guest kernel, with PCI, 8250 serial and devtmpfs built in
                         (default: from Debian's linux-image-amd64, fetched once)
      --initrd FILE      the guest initrd (default: built once from static busybox and the
                         agent; with --initrd nothing is built)
${webHelp(FAMEZ_HTTP_PORT)}
${CLUSTER_HELP}
                         (two hosts each running famez lab --cluster URL: one fabric of all guests)
  -h, --help             this help

The guest image is cached in $XDG_CACHE_HOME/famez (or ~/.cache/famez). The lab needs
qemu-system-x86_64 (Debian: qemu-system-x86), and without apt-get a --kernel (and an
--initrd without static busybox and gcc). A guest that does not come up is reported with
the end of its console, exit status 1.
`;

function dirOption(args: string[]): string {
  const values = parseOptions(`${COMMAND} down`, args, { dir: { type: 'string' } } as const);
  return values.dir ?? labStateDir();
}

export async function runLab(args: string[]): Promise<number> {
  if (args[0] === 'down') {
    const dir = dirOption(args.slice(1));
    try {
      const stopped = await stopLab(dir);
      process.stdout.write(
        'lab' in stopped
          ? `famez lab: stopped the lab in ${dir} (pid ${stopped.lab})\n`
          : `famez lab: the lab in ${dir} had died: stopped the ${stopped.orphans} guest(s) it left and removed its files\n`,
      );
      return 0;
    } catch (error) {
      if (error instanceof LabError) {
        process.stderr.write(`famez lab: ${error.message}\n`);
        return 1;
      }
      throw error;
    }
  }
  process.stderr.on('error', () => {});
  const values = parseOptions(COMMAND, defaultHttpPort(args, FAMEZ_HTTP_PORT), LAB_OPTIONS);
  const command = (words: string[]): string => famezCommand(words.map(shellWord).join(' '));
  // A reader that went away (famez lab | head) closes that output, nothing more: said once, on stderr.
  let outputClosed = false;
  process.stdout.on('error', () => {
    if (outputClosed) return;
    outputClosed = true;
    const down = command(['lab', 'down', ...(values.dir === undefined ? [] : ['--dir', values.dir])]);
    process.stderr.write(
      'famez lab: its output was closed (the reader went away): the lab goes on, printing nothing more; ' +
        `stop it with Ctrl-C or ${down}\n`,
    );
  });
  if (values.help) {
    process.stdout.write(LAB_HELP);
    return 0;
  }
  if (values.kvm && values.tcg) throw new UsageError(`${COMMAND}: --kvm and --tcg cannot be combined`);
  const cluster = planClusterOptions(COMMAND, values);
  await checkClusterOptions(COMMAND, cluster);
  let onSignal: () => void = () => {};
  const stop = new Promise<void>((resolve) => {
    onSignal = resolve;
  });
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  try {
    return await startLab({
      guests: values.guests === undefined ? 2 : integer('--guests', values.guests, 1, 32),
      plain: values.plain ?? false,
      fam: famOption(COMMAND, values.fam, values['fam-as'], defaultFamFile()),
      accel: values.kvm ? 'kvm' : values.tcg ? 'tcg' : undefined,
      dir: values.dir ?? labStateDir(),
      dirGiven: values.dir !== undefined,
      http: planWeb(values),
      command,
      kernel: values.kernel,
      initrd: values.initrd,
      cluster,
      print: (line) => outputClosed || process.stdout.write(`${line}\n`),
      stop,
    });
  } catch (error) {
    if (error instanceof LabError) {
      process.stderr.write(`famez lab: ${error.message}\n`);
      return 1;
    }
    throw error;
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
  }
}
