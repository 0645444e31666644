// `famez server`: options in QEMU's ivshmem-server and tm-ivshmem-server
// spelling, mapped onto createServer().
import { promptLoop } from './console/prompt-loop.js';
import { createServer, type FamezServer, type ServerOptions } from '../server/server.js';
import { ID_POLICIES } from '../server/ids.js';
import type { BackingSpec } from '../memory/backing.js';
import { formatSize, parseSize } from '../memory/size.js';
import { DEFAULT_SOCKET_PATH, MAX_VECTORS, PROTOCOLS } from '../protocol/message.js';
import { ACCESS_HELP, ACCESS_OPTIONS, logFormat, planAccess } from './access.js';
import type { Logger } from './logger.js';
import { Router } from '../switching/router.js';
import { runService, type ServicePlan } from './service.js';
import {
  consoleSwitching,
  planSwitching,
  switchCommand,
  SWITCH_CONSOLE_HELP,
  SWITCH_CONSOLE_VERBS,
  SWITCHING_HELP,
  SWITCHING_OPTIONS,
  logFaults,
  type ConsoleSwitching,
  type SwitchingPlan,
} from './switching.js';
import type { FaultChange } from '../switching/faults.js';
import { choice, integer, parseOptions, UsageError, type Values } from './usage.js';
import { unknownCommand } from './nearest.js';
import { planWeb, webHelp, WEB_OPTIONS, withWeb, type WebPlan } from './web-options.js';
import { routerSwitching, serverSource } from '../web/index.js';
import type { ClusterOptions } from '../cluster/index.js';
import type { SwitchingSource } from '../web/index.js';
import {
  checkClusterOptions,
  CLUSTER_HELP,
  CLUSTER_OPTIONS,
  LazyCluster,
  planClusterOptions,
} from './cluster-options.js';

const COMMAND = 'famez server';

export const SERVER_OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  verbose: { type: 'boolean', short: 'v' },
  foreground: { type: 'boolean', short: 'F' },
  daemonize: { type: 'boolean', short: 'd' },
  'socket-path': { type: 'string', short: 'S' },
  'shm-name': { type: 'string', short: 'M' },
  'shm-dir': { type: 'string', short: 'm' },
  file: { type: 'string', short: 'f' },
  truncate: { type: 'boolean', short: 't' },
  'trust-existing-memory': { type: 'boolean' },
  size: { type: 'string', short: 'l' },
  vectors: { type: 'string', short: 'n' },
  protocol: { type: 'string' },
  ids: { type: 'string' },
  'max-peers': { type: 'string' },
  'log-file': { type: 'string' },
  ...ACCESS_OPTIONS,
  ...WEB_OPTIONS,
  ...SWITCHING_OPTIONS,
  ...CLUSTER_OPTIONS,
} as const;

export const SERVER_HELP = `Usage: famez server [options]
Serve shared memory and doorbells to QEMU (-device ivshmem-doorbell) and host peers.

  -S, --socket-path PATH   listening socket (default ${DEFAULT_SOCKET_PATH})
  -M, --shm-name NAME      POSIX shared memory object (default ivshmem)
  -m, --shm-dir DIR        memory from a new file in DIR (hugetlbfs), unlinked at once
  -f, --file PATH          memory backed by a regular file: persistent, sparse, up to 16T
  -l, --size SIZE          memory size with K/M/G/T suffix (default 4M; an existing file: its size)
  -t, --truncate           resize an existing object or file to --size (may lose data)
      --trust-existing-memory  use an existing object or file even when another user owns
                           it or others may write it (refused by default)
  -n, --vectors N          doorbells per peer, 1..${MAX_VECTORS} (default 1)
      --protocol P         qemu (QEMU >= 2.5, default) or legacy (QEMU <= 2.4)
      --ids POLICY         rotate (QEMU's, default), lowest (reuse the lowest free id) or random
      --max-peers N        refuse peers beyond N (default 65536)
${ACCESS_HELP}
${SWITCHING_HELP}
${webHelp()}
${CLUSTER_HELP}
  -d, --daemonize          run in the background (default: foreground; -F is accepted)
  -v, --verbose            log details
      --log-file PATH      log here instead of stdout (SIGHUP reopens it)
  -h, --help               this help
`;

interface ServerPlan extends ServicePlan {
  server: ServerOptions;
  web?: WebPlan;
  switching: SwitchingPlan;
  cluster?: ClusterOptions;
}

/** Turns arguments into a plan; throws UsageError naming the bad option. */
export function planServer(args: string[]): ServerPlan | 'help' {
  const values: Values<typeof SERVER_OPTIONS> = parseOptions(COMMAND, args, SERVER_OPTIONS);
  if (values.help) return 'help';
  const sources = (['shm-name', 'shm-dir', 'file'] as const).filter((name) => values[name] !== undefined);
  if (sources.length > 1)
    throw new UsageError(
      `${COMMAND}: --${sources[0]} and --${sources[1]} cannot be combined: choose one place for the memory`,
    );
  const size = values.size === undefined ? undefined : sizeOption(values.size);
  const truncate = values.truncate ?? false;
  if (truncate && size === undefined)
    throw new UsageError(`${COMMAND}: --truncate needs --size: say what size to resize to`);
  const trustExisting = values['trust-existing-memory'] ?? false;
  const memory: BackingSpec =
    values.file !== undefined
      ? { kind: 'file', path: values.file, size, truncate, trustExisting }
      : values['shm-dir'] !== undefined
        ? { kind: 'directory', path: values['shm-dir'], size }
        : { kind: 'shm', name: values['shm-name'] ?? 'ivshmem', size, truncate, trustExisting };
  const switching = planSwitching(COMMAND, values);
  const cluster = planClusterOptions(COMMAND, values);
  return {
    switching,
    cluster,
    server: {
      switched: switching.switched,
      socketPath: values['socket-path'] ?? DEFAULT_SOCKET_PATH,
      memory,
      vectors: values.vectors === undefined ? 1 : integer('--vectors', values.vectors, 1, MAX_VECTORS),
      protocol: values.protocol === undefined ? 'qemu' : choice('--protocol', values.protocol, PROTOCOLS),
      ids: values.ids === undefined ? 'rotate' : choice('--ids', values.ids, ID_POLICIES),
      maxPeers: values['max-peers'] === undefined ? undefined : integer('--max-peers', values['max-peers'], 1, 65536),
      ...planAccess(values),
    },
    web: planWeb(values),
    pidFile: values['pid-file'],
    daemonize: values.daemonize ?? false,
    log: {
      path: values['log-file'],
      format: logFormat(values),
      verbose: values.verbose ?? false,
    },
  };
}

function sizeOption(text: string): number {
  try {
    return parseSize(text);
  } catch (error) {
    throw new UsageError(`invalid value for --size: ${(error as Error).message}`);
  }
}

/** Runs the server until SIGINT or SIGTERM. Resolves with the exit status. */
export async function runServer(args: string[]): Promise<number> {
  const plan = planServer(args);
  if (plan === 'help') {
    process.stdout.write(SERVER_HELP);
    return 0;
  }
  await checkClusterOptions(COMMAND, plan.cluster);
  return runService(COMMAND, plan, (log) => {
    const { switched, topology, seed } = plan.switching;
    const router = switched ? new Router({ topology, seed }) : undefined;
    const cluster =
      plan.cluster &&
      new LazyCluster(plan.cluster, { kind: 'server', idRange: plan.server.idRange, ids: plan.server.ids }, !!switched);
    let clusterView: SwitchingSource | undefined;
    const server = createServer({
      ...plan.server,
      forwarding: router,
      reserved: cluster?.reserved,
      noFreeId: cluster?.noFreeId,
      moreIds: cluster?.moreIds,
    });
    logServerEvents(server, log);
    if (router) logFaults(router, log);
    const sources = () => ({
      source: serverSource(server, {
        memory: plan.server.memory,
        options: { ids: plan.server.ids ?? 'rotate', switched: switched ?? false },
      }),
      switching: clusterView ?? (router && routerSwitching(router)),
    });
    const service = {
      listen: () => server.listen(),
      announce: () => {
        const memory = server.memory;
        log.info(
          'listening',
          `listening on ${server.socketPath}: ${memory.description} (${formatSize(memory.size)}), ` +
            `${server.vectors} vector${server.vectors === 1 ? '' : 's'}, protocol ${server.protocol}`,
          {
            socket: server.socketPath,
            memory: memory.description,
            size: memory.size,
            vectors: server.vectors,
            protocol: server.protocol,
          },
        );
        log.debug(
          'options',
          `ids ${plan.server.ids}, max peers ${server.maxPeers}, socket mode ${(plan.server.socketMode ?? 0o600).toString(8)}` +
            `${plan.server.admit ? ', admission by uid/gid' : ''}${plan.pidFile ? `, pid file ${plan.pidFile}` : ''}`,
        );
      },
      close: () => server.close(),
      describeStop: () => `closing ${server.peers.size} peer(s)`,
      started: () => {
        if (!process.stdin.isTTY) return undefined;
        // In a cluster: the host links too (and the router's, switched); its peers' own links.
        const peers = (): number[] => [...server.peers.keys()].sort((a, b) => a - b);
        const view = clusterView;
        if (view)
          return runSwitchConsole(consoleSwitching(view, peers, router && ((a, b) => router.paths(a, b))), (change) =>
            view.apply(change),
          );
        return router ? runSwitchConsole(router, (change) => router.apply(change)) : undefined;
      },
    };
    return withWeb(
      cluster
        ? cluster.wrap(
            service,
            async (node) => {
              const [{ attachServer }, { clusterSwitching }, { switchedClusterSwitching }] = await Promise.all([
                import('../cluster/server-cluster.js'),
                import('../web/cluster-web.js'),
                import('../web/cluster-switched.js'),
              ]);
              attachServer(server, node, router);
              const hosts = clusterSwitching(node, (id) => server.peers.get(id)?.credentials !== undefined);
              clusterView = router ? switchedClusterSwitching(routerSwitching(router), router, hosts, node) : hosts;
            },
            log,
          )
        : service,
      plan.web,
      sources,
      log,
    );
  });
}

/** The server's events as log lines. */
function logServerEvents(server: FamezServer, log: Logger): void {
  server.on('warning', (message) => log.warn('warning', message));
  server.on('error', (error) => log.warn('error', error.message));
  server.on('peer-joined', (peer) => {
    const who = peer.credentials;
    log.info('peer-joined', `peer ${peer.id} joined (pid ${who?.pid}, uid ${who?.uid}, gid ${who?.gid})`, {
      id: peer.id,
      pid: who?.pid,
      uid: who?.uid,
      gid: who?.gid,
      vectors: peer.vectors,
    });
    log.debug(
      'peer-vectors',
      `peer ${peer.id}: ${peer.eventfds.map((fd, v) => `vector ${v} fd=${fd}`).join(', ')}; ${server.peers.size} peer(s) present`,
      { id: peer.id, eventfds: peer.eventfds.join(','), peers: server.peers.size },
    );
  });
  server.on('peer-left', (peer, reason) =>
    log.info('peer-left', `peer ${peer.id} gone: ${reason}`, { id: peer.id, reason }),
  );
  server.on('peer-refused', (who, reason) =>
    log.info('peer-refused', `peer refused (pid ${who?.pid ?? '?'}, uid ${who?.uid ?? '?'}): ${reason}`, {
      pid: who?.pid,
      uid: who?.uid,
      gid: who?.gid,
      reason,
    }),
  );
}

/**
 * With --switched or --cluster on a terminal: fault commands, faults, counters (and routes, switched); quit stops the
 * server.
 */
function runSwitchConsole(links: ConsoleSwitching, apply: (change: FaultChange) => unknown): Promise<void> {
  return promptLoop('famez> ', (command, print) => {
    if (command === 'h' || command === 'help' || command === '?')
      print(`${SWITCH_CONSOLE_HELP}\nquit                     close every peer and stop`);
    else if (!switchCommand(links, command, apply, print))
      print(unknownCommand(command, ['help', 'quit', ...SWITCH_CONSOLE_VERBS]));
  });
}
