// Cluster nodes on the in-memory bus, for the unit tests: no nats-server.
import { MemoryNetwork, type MemoryBus, type Permissions } from '../../src/cluster/memory-bus.js';
import { ClusterNode } from '../../src/cluster/node.js';
import type { RemotePeer } from '../../src/cluster/wire.js';
import { ManualClock, settle } from './manual-clock.js';

export const TIMEOUT_MS = 2000;
export const IDS = { range: { first: 1, last: 14 }, random: false };

export interface MemoryCluster {
  clock: ManualClock;
  network: MemoryNetwork;
  /** Every node's bus, in the order the nodes were made (to cut one off, or lose messages on it). */
  buses: MemoryBus[];
  /** A node that has joined and started, holding `peers()` (all its spares when not given). */
  node(
    name: string,
    options?: { peers?: () => RemotePeer[]; permissions?: Permissions; maxNodes?: number },
  ): Promise<TestNode>;
}

export interface TestNode {
  node: ClusterNode;
  warnings: string[];
  /** Moves the clock and lets the bus deliver. */
}

export function memoryCluster(): MemoryCluster {
  const clock = new ManualClock();
  const network = new MemoryNetwork(clock, TIMEOUT_MS);
  const buses: MemoryBus[] = [];
  return {
    clock,
    network,
    buses,
    node: async (name, options = {}) => {
      const node = new ClusterNode(
        { url: 'memory://', name: 'unit', node: name, timeoutMs: TIMEOUT_MS, maxNodes: options.maxNodes },
        IDS,
        {
          connect: async () => {
            const bus = network.connect(options.permissions);
            buses.push(bus);
            return bus;
          },
          clock,
        },
      );
      const warnings: string[] = [];
      node.on('warning', (line) => warnings.push(line));
      await node.join();
      node.start(options.peers ?? (() => []));
      await settle();
      return { node, warnings };
    },
  };
}

/** Moves time on in steps (heartbeats go out, checks run) and lets the bus deliver after each. */
export async function pass(cluster: MemoryCluster, ms: number, step = 250): Promise<void> {
  for (let t = 0; t < ms; t += step) {
    cluster.clock.advance(Math.min(step, ms - t));
    await settle();
  }
}
