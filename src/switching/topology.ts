// The shape of a switched fabric: switches, the links between them with
// their latency, and where each peer is attached. Pure data.

export interface SwitchLink {
  /** Unique among links; what fault commands and counters name. */
  name: string;
  a: string;
  b: string;
  latencyUs: number;
}

/** Where a peer lands: by id, or (fabric mode) by the nodename its driver writes. */
export interface Attachment {
  id?: number;
  nodename?: string;
  switch: string;
  port: number;
  /** The peer's own link to its switch (default 0). */
  latencyUs: number;
}

export interface Topology {
  switches: readonly string[];
  links: readonly SwitchLink[];
  peers: readonly Attachment[];
  /** How many shortest paths to keep per pair of switches (default 4). */
  paths: number;
}

export const DEFAULT_PATHS = 4;

/** Without a fabric file: one switch, every peer on it, no latency. */
export function singleSwitch(): Topology {
  return { switches: ['switch'], links: [], peers: [], paths: DEFAULT_PATHS };
}

/** A peer's own link is named after its id: fault commands and counters use it. */
export function peerLinkName(id: number): string {
  return `peer:${id}`;
}

/** The peer id of a peer link name, or undefined for a switch link. */
export function peerOfLink(name: string): number | undefined {
  const match = /^peer:(\d{1,5})$/.exec(name);
  return match ? Number(match[1]) : undefined;
}

/**
 * Where peer `id` (with `nodename`, if known) lands: by id first, then nodename, else port `id` of the first switch.
 */
export function attachmentOf(topology: Topology, id: number, nodename?: string): Attachment {
  return (
    topology.peers.find((peer) => peer.id === id) ??
    (nodename ? topology.peers.find((peer) => peer.nodename === nodename) : undefined) ?? {
      id,
      switch: topology.switches[0]!,
      port: id,
      latencyUs: 0,
    }
  );
}
