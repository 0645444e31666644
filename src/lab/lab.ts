// `famez lab`: a fabric (or a plain server), N guests on it, a table once
// every guest is up, and everything stopped and removed at the end.
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import type { ClusterOptions } from '../cluster/index.js';
import { defaultNodeName } from '../cluster/options.js';
import { formatSize, nextPowerOfTwo } from '../memory/size.js';
import { probeKvm, tcgNote, type Accel } from './accel.js';
import { famCell, famSummary, famView, type FamPlan } from './fam.js';
import { prepareFam } from './fam-file.js';
import { ensureGuestImage } from './guest-image.js';
import { claimLabDir, LabError, recordGuest, releaseLabDir } from './lab-lock.js';
import { startHost, type Host } from './lab-host.js';
import { labFiles } from './paths.js';
import { labTable, type GuestRow } from './table.js';
import { JoinWatch, startInOrder } from './start-order.js';
import { LabVm } from './vm.js';
import { fabricSource, serverSource, type WebServer } from '../web/index.js';
import { serveLabWeb, withFam, type LabWeb } from './lab-web.js';

export type { LabWeb } from './lab-web.js';

export const QEMU = 'qemu-system-x86_64';

export interface LabOptions {
  guests: number;
  plain: boolean;
  /** `makeDirectory`: FILE's directory may be made (the default file); one the user names must exist. */
  fam?: FamPlan & { makeDirectory?: boolean };
  /** Serve the fabric's (or server's) page, API and metrics here, as `famez fabric --http` does. */
  http?: LabWeb;
  /** A famez command (its words after `famez`) as the user can type it, for the lines the lab prints. */
  command?: (words: string[]) => string;
  /** Whether `--dir` named the directory (then `famez lab down` needs it too). */
  dirGiven?: boolean;
  /** Forced accelerator; undefined: KVM when it works here. */
  accel?: Accel;
  dir: string;
  kernel?: string;
  initrd?: string;
  bootTimeoutMs?: number;
  /** Join a cluster over NATS: the guests of every host's lab form one fabric. */
  cluster?: ClusterOptions;
  print(line: string): void;
  /** Resolves when the lab should stop (a signal). */
  stop: Promise<unknown>;
}

function onPath(command: string): boolean {
  return (process.env.PATH ?? '').split(':').some((dir) => {
    try {
      accessSync(path.join(dir || '.', command), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** The row of a guest, or undefined while it is not up: its link configured (fabric), its agent ready (plain). */
function guestRow(vm: LabVm, host: Host, ports: JoinWatch): GuestRow | undefined {
  const console = `socat - UNIX-CONNECT:${vm.plan.console}`;
  const fam = famCell(vm.plan.fam, vm.consoleText());
  if (fam === undefined) return undefined;
  if (host.kind === 'fabric') {
    const id = ports.get(vm.pid);
    const port = id === undefined ? undefined : host.fabric.ports.get(id);
    if (!port || port.linkState !== 'configured') return undefined;
    return { port: port.id, nodename: port.nodename, cid: port.cid, link: port.linkState, fam, console };
  }
  const ready = /famez: ready id=(\d+) nodename=(\S+)/.exec(vm.consoleText());
  return ready ? { port: Number(ready[1]), nodename: ready[2]!, cid: undefined, link: '-', fam, console } : undefined;
}

/**
 * Waits until every guest is up; throws with the console tail of one that exits, reports an error or takes too long.
 */
async function waitUp(
  vms: LabVm[],
  host: Host,
  ports: JoinWatch,
  timeoutMs: number,
  stop: Promise<unknown>,
): Promise<GuestRow[] | 'stopped'> {
  const deadline = Date.now() + timeoutMs;
  let stopped = false;
  void stop.then(() => {
    stopped = true;
  });
  for (;;) {
    if (stopped) return 'stopped';
    const rows = vms.map((vm) => guestRow(vm, host, ports));
    if (rows.every((row) => row !== undefined))
      return (rows as GuestRow[]).sort((a, b) => (a.port ?? 0) - (b.port ?? 0));
    for (const vm of vms) {
      const failed =
        vm.exit !== undefined
          ? `QEMU exited (${vm.exit})`
          : (/famez: error .*/.exec(vm.consoleText())?.[0] ??
            (Date.now() > deadline ? `not up after ${timeoutMs / 1000} s` : undefined));
      if (failed)
        throw new LabError(
          `${vm.name} did not come up: ${failed}; the end of its console (${vm.plan.log}):\n${vm.tail()}`,
        );
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Runs the lab until `options.stop` resolves. Resolves with the exit status. */
export async function runLab(options: LabOptions): Promise<number> {
  if (!onPath(QEMU)) throw new LabError(`${QEMU} not found: install QEMU (Debian: apt-get install qemu-system-x86)`);
  const files = labFiles(options.dir);
  const dax = options.fam !== undefined && options.fam.as !== 'ivshmem';
  if (dax && (options.plain || options.cluster))
    throw new LabError(
      `--fam-as ${options.fam!.as} needs the lab's own fabric (its guests agree over it which one formats the memory): drop ${options.plain ? '--plain' : '--cluster'}, or use --fam-as ivshmem`,
    );
  if (options.fam) prepareFam(options.fam);
  const command = options.command ?? ((words: string[]) => ['famez', ...words].join(' '));
  const down = command(['lab', 'down', ...(options.dirGiven ? ['--dir', options.dir] : [])]);
  claimLabDir(options.dir, down);
  const vms: LabVm[] = [];
  let host: Host | undefined;
  let web: WebServer | undefined;
  let stopped = false;
  try {
    const image = await ensureGuestImage({ kernel: options.kernel, initrd: options.initrd, dax });
    let accel = options.accel;
    if (!accel) {
      const kvm = await probeKvm(QEMU);
      accel = kvm.ok ? 'kvm' : 'tcg';
      if (!kvm.ok) options.print(`famez lab: ${tcgNote(kvm.why)}`);
    }
    const started = await startHost(options, files.socket, files.mailbox);
    host = started.host;
    // The page shows how each guest maps the FAM, as its console says.
    const famOf = (name: string) => famView(options.fam, vms.find((vm) => vm.name === name)?.consoleText() ?? '');
    if (options.http)
      web = await serveLabWeb(
        withFam(
          host.kind === 'fabric'
            ? fabricSource(host.fabric, { options: { ids: 'lowest', recycle: true, switched: false } })
            : serverSource(host.server),
          famOf,
        ),
        options.http,
      );
    const ports = new JoinWatch();
    if (host.kind === 'fabric')
      host.fabric.on('port-joined', (port, peer) => peer.credentials && ports.joined(peer.credentials.pid, port.id));
    else host.server.on('peer-joined', (peer) => peer.credentials && ports.joined(peer.credentials.pid, peer.id));
    const guard = onPath('setpriv') ? ['setpriv', '--pdeathsig', 'KILL'] : [];
    // In a cluster, names unique across it: west-lab1 on host west.
    const node = options.cluster && (options.cluster.node ?? defaultNodeName());
    const name = (i: number): string => (node ? `${node}-lab${i}` : `lab${i}`);
    options.print(
      `famez lab: ${options.guests} guest${options.guests === 1 ? '' : 's'} booting (${accel.toUpperCase()}) in ${options.dir}`,
    );
    // One at a time, so that the ports follow the names (lab1 the lowest).
    await startInOrder(
      options.guests,
      (i) =>
        new LabVm(
          QEMU,
          {
            name: name(i),
            kernel: image.kernel,
            initrd: image.initrd,
            accel,
            console: files.console(name(i)),
            log: files.log(name(i)),
            device: started.device,
            fam: options.fam,
            famFirst: name(1),
          },
          guard,
        ),
      ports,
      (vm) => {
        vms.push(vm);
        recordGuest(options.dir, vm.name, vm.pid);
      },
    );
    const rows = await waitUp(vms, host, ports, options.bootTimeoutMs ?? 180_000, options.stop);
    if (rows === 'stopped') {
      stopped = true;
      return 0;
    }
    labTable(rows, node).forEach((line) => options.print(line));
    if (host.kind === 'fabric') options.print(`chat with them: ${command(['chat', '-S', files.socket])}`);
    else options.print(`a plain server (no mailbox): ${command(['client', '-S', files.socket])}`);
    if (web) options.print(`the fabric's page: ${web.url}/`);
    if (options.fam)
      options.print(
        `fabric-attached memory: ${options.fam.path} (${formatSize(options.fam.size)}) as ${famSummary(options.fam)}; in every guest: fam write OFF TEXT, fam read OFF LEN, fam info`,
      );
    options.print(`stop: Ctrl-C, or ${down}`);
    await options.stop;
    stopped = true;
    return 0;
  } finally {
    await web?.close();
    await Promise.all(vms.map((vm) => vm.stop()));
    await host?.leave?.();
    if (host?.kind === 'fabric') await host.fabric.close();
    else if (host) await host.server.close();
    releaseLabDir(options.dir);
    if (stopped)
      options.print(
        `famez lab: stopped ${vms.length} guest${vms.length === 1 ? '' : 's'} and the ${host?.kind === 'plain' ? 'server' : 'fabric'}, and removed what it made in ${options.dir}`,
      );
  }
}

/** --fam SIZE[:FILE]: the size rounded up to a power of two (QEMU needs one). */
export function famSize(size: number): number {
  return nextPowerOfTwo(size);
}
