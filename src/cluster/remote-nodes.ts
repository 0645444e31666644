// What this node knows of each other node, and the views the rest of the
// cluster takes over all of them (Membership keeps them up to date).
import type { RemotePeer } from './wire.js';

export interface RemoteNode {
  instance: string;
  lastSeen: number;
  peers: Map<number, RemotePeer>;
  spares: number;
  /** The version of its peer list known here. */
  version: number;
}

/** The node (not in `besides`) that says it holds the most spare ids, if any holds one; and how many all hold. */
export function sparesOf(
  remotes: ReadonlyMap<string, RemoteNode>,
  besides: ReadonlySet<string>,
): { richest?: string; total: number } {
  let richest: string | undefined;
  let most = 0;
  let total = 0;
  for (const [node, remote] of remotes) {
    total += remote.spares;
    if (remote.spares > most && !besides.has(node)) [richest, most] = [node, remote.spares];
  }
  return { richest, total };
}

/** Remote peers by id, with the node holding each. */
export function peersOf(remotes: ReadonlyMap<string, RemoteNode>): Map<number, { node: string; peer: RemotePeer }> {
  const all = new Map<number, { node: string; peer: RemotePeer }>();
  for (const [node, remote] of remotes) for (const peer of remote.peers.values()) all.set(peer.id, { node, peer });
  return all;
}
