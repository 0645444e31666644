// The --cluster options of famez server, fabric and lab, and the wrapper that
// joins the cluster before the service listens. Secrets come from the
// environment, never from argv (other users can read argv in ps).
import type { Clustered, ClusterNode, ClusterOptions, IdSource, tellClusterEvents } from '../cluster/index.js';
import { describeChange } from '../switching/faults.js';
import type { Logger } from './logger.js';
import type { Service } from './service.js';
import { logFaults } from './switching.js';
import { integer, UsageError, type Values } from './usage.js';

export const CLUSTER_OPTIONS = {
  cluster: { type: 'string' },
  'cluster-name': { type: 'string' },
  node: { type: 'string' },
  'cluster-timeout': { type: 'string' },
  'cluster-max-hosts': { type: 'string' },
  'cluster-replicas': { type: 'string' },
  'nats-user': { type: 'string' },
  'nats-creds': { type: 'string' },
  'nats-ca': { type: 'string' },
  'nats-cert': { type: 'string' },
  'nats-key': { type: 'string' },
} as const;

export const CLUSTER_HELP = `      --cluster URL        join one fabric across hosts through NATS (nats://HOST:4222; JetStream on)
      --cluster-name NAME  the fabric's name on NATS (default famez)
      --node NAME          this instance in the cluster (default the host name; unique)
      --cluster-timeout MS a host silent this long has left: its peers leave everywhere (default 5000)
      --cluster-max-hosts N  other hosts let in at most (default 64; what a rogue on NATS can make us keep)
      --cluster-replicas N copies of the cluster's KV bucket on a NATS cluster (default 1; 3 on three servers)
      --nats-user USER     NATS user (password from FAMEZ_NATS_PASSWORD); or a token in FAMEZ_NATS_TOKEN
      --nats-creds FILE    NATS credentials file
      --nats-ca FILE, --nats-cert FILE, --nats-key FILE   TLS to NATS: CA, client certificate and key`;

/** The cluster options given (checkClusterOptions checks their values), or undefined without --cluster. */
export function planClusterOptions(
  command: string,
  values: Values<typeof CLUSTER_OPTIONS>,
  env: NodeJS.ProcessEnv = process.env,
): ClusterOptions | undefined {
  if (values.cluster === undefined) {
    const stray = (Object.keys(CLUSTER_OPTIONS) as (keyof typeof CLUSTER_OPTIONS)[]).find(
      (name) => values[name] !== undefined,
    );
    if (stray) throw new UsageError(`${command}: --${stray} needs --cluster URL: give the NATS server to join`);
    return undefined;
  }
  const tls = values['nats-ca'] ?? values['nats-cert'] ?? values['nats-key'];
  if ((values['nats-cert'] === undefined) !== (values['nats-key'] === undefined)) {
    throw new UsageError(`${command}: --nats-cert and --nats-key go together: give both or neither`);
  }
  const options: ClusterOptions = {
    url: values.cluster,
    name: values['cluster-name'],
    node: values.node,
    timeoutMs:
      values['cluster-timeout'] === undefined
        ? undefined
        : integer('--cluster-timeout', values['cluster-timeout'], 1000, 3_600_000),
    maxNodes:
      values['cluster-max-hosts'] === undefined
        ? undefined
        : integer('--cluster-max-hosts', values['cluster-max-hosts'], 1, 1024),
    replicas:
      values['cluster-replicas'] === undefined
        ? undefined
        : integer('--cluster-replicas', values['cluster-replicas'], 1, 5),
    user: values['nats-user'],
    pass: values['nats-user'] === undefined ? undefined : env.FAMEZ_NATS_PASSWORD,
    token: env.FAMEZ_NATS_TOKEN,
    credsFile: values['nats-creds'],
    tls:
      tls === undefined
        ? undefined
        : { caFile: values['nats-ca'], certFile: values['nats-cert'], keyFile: values['nats-key'] },
  };
  return options;
}

/**
 * Checks the names and numbers of the cluster options (a UsageError names the
 * bad one). Asynchronous so that the cluster's modules load only with
 * --cluster: a command starts with as few files open as before.
 */
export async function checkClusterOptions(command: string, options: ClusterOptions | undefined): Promise<void> {
  if (!options) return;
  const { planCluster } = await import('../cluster/options.js');
  try {
    planCluster(options);
  } catch (error) {
    throw new UsageError(`${command}: ${(error as Error).message}`);
  }
}

/**
 * The cluster of a command, joined when the service listens. Its modules (and
 * NATS's) are imported only then: a command without --cluster loads none of
 * them, and one with it loads them after its options are checked.
 */
export class LazyCluster {
  readonly options: ClusterOptions;
  readonly #ids: IdSource;
  readonly #switched: boolean;
  #node?: ClusterNode;
  #clustered?: Clustered;

  constructor(options: ClusterOptions, ids: IdSource, switched: boolean) {
    this.options = options;
    this.#ids = ids;
    this.#switched = switched;
  }

  /** For ServerOptions.reserved: every id until the node has joined and claimed its own. */
  readonly reserved = (id: number): boolean => this.#node?.reserved(id) ?? true;
  readonly noFreeId = (): string => this.#node?.noFreeId() ?? 'not in the cluster yet';
  readonly moreIds = (): Promise<boolean> => this.#node?.moreIds() ?? Promise.resolve(false);

  get node(): ClusterNode | undefined {
    return this.#node;
  }

  /** The service in the cluster's one lifecycle (src/cluster/assembly.ts), with the cluster's events logged. */
  wrap(service: Service, attach: (node: ClusterNode) => Promise<void>, log: Logger): Service {
    return {
      ...service,
      listen: async () => {
        const [{ clusterNode, listenClustered }, { idSpace }, { tellClusterEvents }] = await Promise.all([
          import('../cluster/assembly.js'),
          import('../cluster/id-space.js'),
          import('../cluster/events-text.js'),
        ]);
        const node = (this.#node = clusterNode(this.options, idSpace(this.#ids), { switched: this.#switched }));
        logClusterEvents(node, log, tellClusterEvents);
        this.#clustered = await listenClustered(node, service, attach);
      },
      announce: () => {
        service.announce();
        const { plan } = this.#node!;
        log.info(
          'cluster',
          `node ${plan.node} of cluster ${plan.name} at ${plan.url} (hosts silent for ${plan.timeoutMs} ms leave)`,
        );
      },
      close: () => (this.#clustered ? this.#clustered.close() : service.close()),
    };
  }
}

function logClusterEvents(node: ClusterNode, log: Logger, tell: typeof tellClusterEvents): void {
  tell(node, (level, text) => log[level]('cluster', text));
  // Switched, the router logs the changes it makes.
  logFaults(
    {
      on: (_event, listener) =>
        node.links.on('fault', (change) => {
          if (!node.routerTakes(change)) listener(change, describeChange(change));
        }),
    },
    log,
  );
}
