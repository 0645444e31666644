// The host side of a lab: a fabric (or, --plain, a plain server) on the lab's
// socket, joined to a cluster with --cluster; and the doorbell device its
// guests get.
import { createFabric, type Fabric } from '../fabric/index.js';
import type { ClusterNode, ClusterOptions } from '../cluster/index.js';
import { createServer, type FamezServer } from '../server/server.js';
import { DEFAULT_CLIENTS } from '../mailbox/layout.js';
import { fabricDevice } from './device-plan.js';
import type { DoorbellDevice } from './device.js';
import { LabError } from './lab-lock.js';

/** What the host side needs of the lab's options. */
interface HostOptions {
  guests: number;
  plain: boolean;
  cluster?: ClusterOptions;
  print(line: string): void;
}

/** `leave`: with a cluster, leaves it (before the host closes). */
export type Host = ({ kind: 'fabric'; fabric: Fabric } | { kind: 'plain'; server: FamezServer }) & {
  leave?: () => Promise<void>;
};

export async function startHost(
  options: HostOptions,
  socket: string,
  mailbox: string,
): Promise<{ host: Host; device: DoorbellDevice }> {
  if (options.cluster) return startClusterHost(options, options.cluster, socket, mailbox);
  if (options.plain) {
    const server = createServer({ socketPath: socket, memory: { kind: 'memfd', size: 1 << 20 }, vectors: 1 });
    await server.listen();
    return {
      host: { kind: 'plain', server },
      device: { name: 'ivshmem', socketPath: socket, vectors: 1, size: 1 << 20, protocol: 'qemu' },
    };
  }
  const nClients = Math.max(DEFAULT_CLIENTS, options.guests + 4);
  const fabric = createFabric({ socketPath: socket, mailbox, nClients });
  await fabric.listen();
  return { host: { kind: 'fabric', fabric }, device: fabricDevice(socket, nClients) };
}

async function startClusterHost(
  options: HostOptions,
  cluster: ClusterOptions,
  socket: string,
  mailbox: string,
): Promise<{ host: Host; device: DoorbellDevice }> {
  // Loaded only for a cluster (and NATS's client only when it joins).
  const { listenClusteredFabric, listenClusteredServer, tellClusterEvents } = await import('../cluster/index.js');
  // What happens to the cluster is said where the lab speaks.
  const tell = (node: ClusterNode): void =>
    tellClusterEvents(node, (level, text) => level !== 'debug' && options.print(`famez lab: ${text}`));
  if (options.plain) {
    const { server, node } = await listenClusteredServer(
      { socketPath: socket, memory: { kind: 'memfd', size: 1 << 20 }, vectors: 1 },
      cluster,
    );
    tell(node);
    return {
      host: { kind: 'plain', server, leave: () => node.close() },
      device: { name: 'ivshmem', socketPath: socket, vectors: 1, size: 1 << 20, protocol: 'qemu' },
    };
  }
  // Every host's mailbox has every slot: one size for all (the guests of all hosts share the ids).
  if (options.guests > DEFAULT_CLIENTS)
    throw new LabError(
      `--cluster: at most ${DEFAULT_CLIENTS} guests in the whole cluster, not ${options.guests} on this host`,
    );
  const { fabric, node } = await listenClusteredFabric(
    { socketPath: socket, mailbox, nClients: DEFAULT_CLIENTS },
    cluster,
  );
  tell(node);
  return { host: { kind: 'fabric', fabric, leave: () => node.close() }, device: fabricDevice(socket, DEFAULT_CLIENTS) };
}
