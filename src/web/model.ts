// What the web side serves, as plain data: the views of peers, the topology,
// the server, and the events of the live stream. Sources (a plain server or a
// fabric) produce these; the HTTP layer only serialises them.
import type { FaultChange, LinkCounters, LinkFaults, TraceEntry } from '../switching/index.js';

/** One peer as the API shows it; the fabric fields are absent on a plain server. */
export interface PeerView {
  id: number;
  vectors: number;
  credentials?: { pid: number; uid: number; gid: number };
  joinedAt: string;
  /** A peer the server holds itself (the fabric's switch). */
  builtIn: boolean;
  nodename?: string;
  cclass?: string;
  cid?: number;
  sid?: number;
  linkState?: string;
  peerAttributes?: Record<string, string>;
  /** Messages from this port to the switch, and from the switch to it. */
  received?: number;
  sent?: number;
}

/** A link of a switched fabric (a switch link, or a peer's own link `peer:ID`), with its counters and faults. */
export interface SwitchLinkView {
  name: string;
  /** The topology node ids at its ends: `switch:NAME` or `peer-ID`. */
  ends: [string, string];
  kind: 'switch-link' | 'peer-link';
  latencyUs: number;
  state: 'up' | 'down';
  faults: LinkFaults;
  counters: LinkCounters;
}

/** A trace entry of the router as the stream carries it (sampled). */
export type DoorbellTrace = Omit<TraceEntry, 'at'>;

/**
 * Switched doorbells, when the server has them: the router's switches and
 * links, its faults (changed through `apply`), fault changes and a sample of
 * its doorbell trace as events.
 */
export interface SwitchingSource {
  switches(): readonly string[];
  /** Links between the switches and the own links of the peers given. */
  links(peers: readonly number[]): SwitchLinkView[];
  faults(): Array<{ link: string } & LinkFaults>;
  /** Fault changes applied since start. */
  readonly faultChanges: number;
  /**
   * Applies a change (peers are told in fabric mode) and returns it as applied; throws FaultError for a link there is
   * not.
   */
  apply(change: FaultChange): FaultChange;
  subscribe(listener: (event: SourceEvent) => void): () => void;
}

/** What waits to go out: messages to each connected peer's socket, and the switch's mailbox messages. */
export interface QueueView {
  peers: Array<{ id: number; queued: number }>;
  /** Fabric only. */
  outbox?: number;
}

/**
 * The fabric-attached memory as one guest maps it (famez lab --fam): an ivshmem BAR, an NVDIMM's or a CXL region's DAX
 * device.
 */
export interface FamView {
  as: 'ivshmem' | 'nvdimm' | 'cxl';
  /** "BAR 2" of the ivshmem-plain device, or the DAX device ("/dev/dax0.0"). */
  device: string;
  /** nvdimm, cxl: the region ("region0"). */
  region?: string;
  file: string;
}

export interface TopologyNode {
  /** "switch-15", "peer-3", or "server" for a plain server's socket. */
  id: string;
  /** A switch of a switched fabric ("switch:NAME") has a name and no peer. */
  kind: 'switch' | 'peer' | 'server';
  peer?: number;
  name?: string;
  nodename?: string;
  cclass?: string;
  cid?: number;
  sid?: number;
  linkState?: string;
  fam?: FamView;
}

export interface TopologyLink {
  source: string;
  target: string;
  kind: 'port' | 'socket' | 'switch-link' | 'peer-link';
  state?: string;
  /** Switched links: the link's name, latency, faults and counters. */
  name?: string;
  latencyUs?: number;
  faults?: LinkFaults;
  counters?: LinkCounters;
}

/** networkx's node_link_data shape, which D3's force layout reads as it is. */
export interface NodeLinkGraph {
  directed: boolean;
  multigraph: boolean;
  /** `messages`: those counted so far (to and from the switch, and between peers when switched). */
  graph: { name: string; kind: 'server' | 'fabric'; messages?: number };
  nodes: TopologyNode[];
  links: TopologyLink[];
}

export interface ServerView {
  kind: 'server' | 'fabric';
  socketPath: string;
  memory: { kind: string; size: number; description: string; path?: string };
  vectors: number;
  peers: number;
  /** Whether the write API is on (a token was given). */
  write: boolean;
  /** Whether doorbells are switched (faults can be changed). */
  switched: boolean;
  /** Whether the server has a token (for writes and message text). */
  token: boolean;
  /** Whether this caller sees message text (it sent the token). */
  messageText: boolean;
  options: Record<string, string | number | boolean>;
}

/** What a source says of itself; the web server adds what depends on it and the caller. */
export type SourceDescription = Omit<ServerView, 'write' | 'switched' | 'token' | 'messageText'>;

/** FAME-Z's GET /system, key for key. */
export interface FameZSystem {
  nClients: number;
  server_ivshmsg_id: number;
  nodes: Array<{ ivshmsg_id: number; id: string; cclass: string; hardware: string; group: string }>;
  links: Array<{ source: string; target: string }>;
}

/** The events of the live stream; `type` is the SSE event name. */
export type SourceEvent =
  | { type: 'peer-joined'; peer: PeerView }
  | { type: 'peer-left'; id: number; nodename?: string; reason: string }
  | { type: 'peer-refused'; reason: string; category: string; pid?: number; uid?: number }
  /** Without the token, `body` and `text` are absent and `bytes` gives their size. */
  | { type: 'message'; from: number; to: number; nodename: string; body?: string; bytes?: number; tracker?: number }
  | { type: 'sent'; from: number; to: number; text?: string; bytes?: number }
  | { type: 'link'; change: string; peer: PeerView }
  /** `withoutText`: the line with sizes for the message text it quotes (what a reader without the token gets). */
  | { type: 'warning'; text: string; withoutText?: string }
  | { type: 'fault'; change: FaultChange; text: string }
  /** A doorbell through the router: a sample, never each one. */
  | ({ type: 'trace'; bytes?: number } & DoorbellTrace);

export interface WebSource {
  readonly kind: 'server' | 'fabric';
  peers(): PeerView[];
  topology(): NodeLinkGraph;
  describe(): SourceDescription;
  /** Queue depths, for the metrics. */
  queues?(): QueueView;
  /** FAME-Z's /system (a fabric only). */
  system?(): FameZSystem;
  /** A message from the switch to a port (a fabric only); resolves once taken. */
  send?(to: number, text: string): Promise<void>;
  /** Calls `listener` for each event until the returned function is called. */
  subscribe(listener: (event: SourceEvent) => void): () => void;
}
