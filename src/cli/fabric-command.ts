// `famez fabric`: FAME-Z's ivshmsg_server.py options, names and defaults,
// plus the options of `famez server` that apply, mapped onto createFabric().
import { createFabric, DEFAULT_FABRIC_SOCKET, type FabricMode, type FabricOptions } from '../fabric/index.js';
import { DEFAULT_MAILBOX } from '../fabric/mailbox-file.js';
import { DEFAULT_CLIENTS, MAX_CLIENTS, geometry } from '../mailbox/index.js';
import { formatSize } from '../memory/size.js';
import { ACCESS_HELP, ACCESS_OPTIONS, logFormat, planAccess } from './access.js';
import { clusterConsole, runConsole } from './fabric-console.js';
import { logFabricEvents } from './fabric-log.js';
import { runService, type ServicePlan } from './service.js';
import { planSwitching, SWITCHING_HELP, SWITCHING_OPTIONS } from './switching.js';
import { choice, eitherSpelling, integer, parseOptions, UsageError, type Values } from './usage.js';
import { defaultHttpPort, planWeb, webHelp, WEB_OPTIONS, withWeb, type WebPlan } from './web-options.js';
import { fabricSource, fabricSwitching, FAMEZ_HTTP_PORT } from '../web/index.js';
import type { ClusterOptions } from '../cluster/index.js';
import type { SwitchingSource } from '../web/index.js';
import {
  checkClusterOptions,
  CLUSTER_HELP,
  CLUSTER_OPTIONS,
  LazyCluster,
  planClusterOptions,
} from './cluster-options.js';

const COMMAND = 'famez fabric';
/** FAME-Z's log file when it runs in the background. */
const DAEMON_LOG = '/tmp/ivshmsg_log';

export const FABRIC_OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  socketpath: { type: 'string', short: 'S' },
  'socket-path': { type: 'string' },
  mailbox: { type: 'string', short: 'M' },
  'overwrite-mailbox': { type: 'boolean' },
  nClients: { type: 'string', short: 'n' },
  noPFM: { type: 'boolean' },
  silent: { type: 'boolean', short: 's' },
  recycle: { type: 'boolean' },
  norecycle: { type: 'boolean' },
  ids: { type: 'string' },
  'reply-timeout': { type: 'string' },
  daemon: { type: 'boolean', short: 'D' },
  logfile: { type: 'string', short: 'L' },
  'log-file': { type: 'string' },
  verbose: { type: 'boolean', short: 'v', multiple: true },
  ...ACCESS_OPTIONS,
  ...WEB_OPTIONS,
  ...SWITCHING_OPTIONS,
  ...CLUSTER_OPTIONS,
} as const;

/** The QEMU options that attach a guest to a fabric. */
export function qemuStanza(socketPath: string, nClients: number): string {
  return `-chardev socket,path=${socketPath},id=ivshmsg -device ivshmem-doorbell,chardev=ivshmsg,vectors=${geometry(nClients).nEvents}`;
}

export const FABRIC_HELP = `Usage: famez fabric [options]
An IVSHMSG fabric (a drop-in for FAME-Z's ivshmsg_server.py): the shared memory is a
mailbox of 512-byte slots, and the server takes part as a Gen-Z switch that answers
ping, Link CTL Peer-Attribute and Link RFC, and configures each link.

  -S, --socketpath PATH    listening socket (default ${DEFAULT_FABRIC_SOCKET}; also --socket-path)
  -M, --mailbox NAME       mailbox file: a name in /dev/shm or a path (default ${DEFAULT_MAILBOX})
      --overwrite-mailbox  take an existing -M file that is not a private mailbox of this size (reformatted)
  -n, --nClients N         clients, 1..${MAX_CLIENTS} (default ${DEFAULT_CLIENTS}); every peer gets N+2 vectors
      --noPFM              do not manage the fabric: answer, but configure no links
  -s, --silent             take no part: a plain server with FAME-Z's mailbox layout
      --recycle            keep a leaving peer's doorbells for the next peer with its id (default)
      --norecycle          announce leaves and joins as famez server does
      --ids POLICY         lowest (default: the lowest free id) or random (FAME-Z's smart mode)
      --reply-timeout MS   how long a peer may keep the switch's slot (default 1000)
${ACCESS_HELP}
${SWITCHING_HELP}
${webHelp(FAMEZ_HTTP_PORT)}
${CLUSTER_HELP}
  -D, --daemon             run in the background (logs to ${DAEMON_LOG} unless -L)
  -L, --logfile PATH       log here instead of stdout (SIGHUP reopens it; also --log-file)
  -v, --verbose            log each message (-vv: and the switch's port table on each change)
  -h, --help               this help

On a terminal, the console takes h[elp], d[ump] (the switch and its ports) and q[uit];
with --switched or --cluster also the fault commands, faults, counters (and routes when switched).
QEMU, with the defaults:
  ${qemuStanza(DEFAULT_FABRIC_SOCKET, DEFAULT_CLIENTS)}
`;

interface FabricPlan extends ServicePlan {
  fabric: FabricOptions & { nClients: number; socketPath: string };
  verbosity: number;
  web?: WebPlan;
  cluster?: ClusterOptions;
}

export function planFabric(args: string[]): FabricPlan | 'help' {
  const values: Values<typeof FABRIC_OPTIONS> = parseOptions(
    COMMAND,
    defaultHttpPort(args, FAMEZ_HTTP_PORT),
    FABRIC_OPTIONS,
  );
  if (values.help) return 'help';
  if (values.recycle && values.norecycle)
    throw new UsageError(`${COMMAND}: --recycle and --norecycle cannot be combined`);
  const mode: FabricMode = values.silent ? 'silent' : values.noPFM ? 'unmanaged' : 'managing';
  const mailbox = values.mailbox ?? DEFAULT_MAILBOX;
  if (mailbox === '' || mailbox.endsWith('/'))
    throw new UsageError(`${COMMAND}: --mailbox needs a file name or path, not "${mailbox}"`);
  const verbosity = values.verbose?.length ?? 0;
  const daemonize = values.daemon ?? false;
  const cluster = planClusterOptions(COMMAND, values);
  return {
    cluster,
    fabric: {
      socketPath:
        eitherSpelling(COMMAND, ['--socketpath', '--socket-path'], values.socketpath, values['socket-path']) ??
        DEFAULT_FABRIC_SOCKET,
      mailbox,
      overwriteMailbox: values['overwrite-mailbox'],
      nClients:
        values.nClients === undefined ? DEFAULT_CLIENTS : integer('--nClients', values.nClients, 1, MAX_CLIENTS),
      mode,
      recycle: !values.norecycle,
      ids: values.ids === undefined ? 'lowest' : choice('--ids', values.ids, ['lowest', 'random'] as const),
      replyTimeoutMs:
        values['reply-timeout'] === undefined
          ? undefined
          : integer('--reply-timeout', values['reply-timeout'], 1, 60_000),
      ...planAccess(values),
      ...planSwitching(COMMAND, values),
    },
    verbosity,
    web: planWeb(values),
    pidFile: values['pid-file'],
    daemonize,
    log: {
      path:
        eitherSpelling(COMMAND, ['--logfile', '--log-file'], values.logfile, values['log-file']) ??
        (daemonize ? DAEMON_LOG : undefined),
      format: logFormat(values),
      verbose: verbosity > 0,
    },
  };
}

export async function runFabric(args: string[]): Promise<number> {
  const plan = planFabric(args);
  if (plan === 'help') {
    process.stdout.write(FABRIC_HELP);
    return 0;
  }
  await checkClusterOptions(COMMAND, plan.cluster);
  return runService(COMMAND, plan, (log) => {
    const { nClients, ids } = plan.fabric;
    const cluster =
      plan.cluster && new LazyCluster(plan.cluster, { kind: 'fabric', nClients, ids }, !!plan.fabric.switched);
    let clusterView: SwitchingSource | undefined;
    const fabric = createFabric({
      ...plan.fabric,
      reserved: cluster?.reserved,
      noFreeId: cluster?.noFreeId,
      moreIds: cluster?.moreIds,
    });
    logFabricEvents(fabric, log, plan.verbosity);
    const service = {
      listen: () => fabric.listen(),
      announce: () => {
        const { layout } = fabric;
        const role =
          fabric.mode === 'silent'
            ? 'the server takes no part'
            : `switch ${fabric.switch!.nodename} (${fabric.mode === 'managing' ? 'managing' : 'not managing, --noPFM'}) is peer ${layout.serverId}`;
        log.info(
          'listening',
          `listening on ${fabric.socketPath}: mailbox ${fabric.mailboxPath} (${formatSize(fabric.server.memory.size)}), ` +
            `${layout.nClients} clients, ${role}; QEMU: ${qemuStanza(fabric.socketPath, layout.nClients)}`,
          {
            socket: fabric.socketPath,
            mailbox: fabric.mailboxPath,
            nClients: layout.nClients,
            vectors: layout.nEvents,
            mode: fabric.mode,
          },
        );
      },
      close: () => fabric.close(),
      describeStop: () => `closing ${fabric.server.connectedPeers} peer(s)`,
      started: () =>
        process.stdin.isTTY ? runConsole(fabric, clusterView && clusterConsole(fabric, clusterView)) : undefined,
    };
    return withWeb(
      cluster
        ? cluster.wrap(
            service,
            async (node) => {
              const [{ attachFabric }, { clusterSwitching }, { switchedClusterSwitching }] = await Promise.all([
                import('../cluster/fabric-cluster.js'),
                import('../web/cluster-web.js'),
                import('../web/cluster-switched.js'),
              ]);
              attachFabric(fabric, node);
              const hosts = clusterSwitching(node, (id) => fabric.ports.has(id));
              clusterView = fabric.router
                ? switchedClusterSwitching(fabricSwitching(fabric)!, fabric.router, hosts, node)
                : hosts;
            },
            log,
          )
        : service,
      plan.web,
      () => ({
        source: fabricSource(fabric, {
          options: {
            ids: plan.fabric.ids ?? 'lowest',
            recycle: plan.fabric.recycle ?? true,
            switched: plan.fabric.switched ?? false,
          },
        }),
        // Through the fabric: a change from the web is logged and told to the peers as one from the console.
        switching: clusterView ?? fabricSwitching(fabric),
      }),
      log,
    );
  });
}
