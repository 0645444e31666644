// What a cluster node tells (its events) and what it stands on (its bus,
// clock, and whether a router stands on its peers' links).
import type { FaultChange } from '../switching/faults.js';
import type { Clock, ClusterBus } from './bus.js';
import type { ClusterPlan } from './options.js';
import type { Directed, RemotePeer } from './wire.js';

export interface ClusterNodeEvents {
  /** A node joined the cluster (it was heard and its name checked), or left it. */
  'node-joined': [node: string];
  'node-left': [node: string, reason: string];
  /** A peer of another node appeared (or changed its names). */
  'remote-peer': [node: string, peer: RemotePeer];
  'remote-peer-gone': [node: string, id: number, reason: string];
  /** A fault change another node made, as this node names its links (links.faults has it already). */
  'remote-fault': [FaultChange];
  /** A ring, message or ack for this node, from a node that holds its sender. */
  directed: [Directed];
  /** NATS is reachable (true) or not (false). */
  connection: [boolean];
  warning: [string];
}

/** What a node stands on: its bus (NATS unless given), its clock, and whether a router stands on its peers' links. */
export interface ClusterNodeDeps {
  connect?: (plan: ClusterPlan) => Promise<ClusterBus>;
  clock?: Clock;
  /** A local router faults this host's peers' own links (--switched): the node leaves them to it. */
  switched?: boolean;
}
