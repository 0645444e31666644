// What joins a famez instance to a cluster: where NATS is, how to log in, the
// cluster's and this instance's names, and the time-outs of membership.
import { hostname } from 'node:os';

/** How a cluster node reaches NATS and names itself (the library's --cluster* options). */
export interface ClusterOptions {
  /** NATS server URL(s), e.g. nats://host:4222 (comma-separated for several). */
  url: string;
  /** The fabric's name on NATS (default famez): instances with one name form one fabric. */
  name?: string;
  /** This instance (default the host's name up to its first dot); unique in the cluster. */
  node?: string;
  /** NATS user and password, or a token. */
  user?: string;
  pass?: string;
  token?: string;
  /** A NATS credentials file (JWT and NKey seed). */
  credsFile?: string;
  /** TLS: a CA file to trust, and a client certificate and key (PEM files). */
  tls?: { caFile?: string; certFile?: string; keyFile?: string };
  /** A host silent this long has left: its peers leave everywhere (default 5000 ms). */
  timeoutMs?: number;
  /** Ids claimed ahead, so a joining peer never waits on NATS (default 2). */
  spareIds?: number;
  /** Copies of the cluster's KV bucket on a NATS cluster (default 1; 3 on three servers survives one's loss). */
  replicas?: number;
  /** Other hosts this one lets in at most (default 64): what a rogue on NATS can make it keep is bounded. */
  maxNodes?: number;
}

/** The options with every default filled in and every name checked. */
export interface ClusterPlan
  extends Required<Pick<ClusterOptions, 'url' | 'name' | 'node' | 'timeoutMs' | 'spareIds' | 'maxNodes' | 'replicas'>> {
  options: ClusterOptions;
  heartbeatMs: number;
}

export class ClusterError extends Error {
  override name = 'ClusterError';
}

/** Names become NATS subject tokens and KV keys: letters, digits, - and _ only. */
const NAME = /^[A-Za-z0-9_-]{1,64}$/;

export function defaultNodeName(): string {
  return (
    hostname()
      .split('.')[0]!
      .replace(/[^A-Za-z0-9_-]/g, '-')
      .slice(0, 64) || 'famez'
  );
}

export function planCluster(options: ClusterOptions): ClusterPlan {
  const name = options.name ?? 'famez';
  const node = options.node ?? defaultNodeName();
  if (!options.url) throw new ClusterError('cluster: no NATS URL: give --cluster nats://HOST:PORT');
  if (!NAME.test(name))
    throw new ClusterError(`cluster name "${name}": use 1-64 letters, digits, - or _ (it names NATS subjects)`);
  if (!NAME.test(node))
    throw new ClusterError(
      `node name "${node}": use 1-64 letters, digits, - or _ (it names NATS subjects); set --node`,
    );
  const timeoutMs = options.timeoutMs ?? 5000;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1000 || timeoutMs > 3_600_000) {
    throw new ClusterError(`cluster time-out ${timeoutMs} ms: give 1000..3600000 ms`);
  }
  const spareIds = options.spareIds ?? 2;
  if (!Number.isInteger(spareIds) || spareIds < 1 || spareIds > 64)
    throw new ClusterError(`spare ids ${spareIds}: give 1..64`);
  const maxNodes = options.maxNodes ?? 64;
  if (!Number.isInteger(maxNodes) || maxNodes < 1 || maxNodes > 1024)
    throw new ClusterError(`most hosts ${maxNodes}: give 1..1024 (--cluster-max-hosts)`);
  const replicas = options.replicas ?? 1;
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > 5)
    throw new ClusterError(`bucket replicas ${replicas}: give 1..5 (--cluster-replicas)`);
  return {
    replicas,
    maxNodes,
    url: options.url,
    name,
    node,
    timeoutMs,
    spareIds,
    options,
    heartbeatMs: Math.max(250, Math.floor(timeoutMs / 4)),
  };
}
