// What the web side serves, as plain data: the views of peers, the topology,
// the server, and the events of the live stream. Sources (a plain server or a
// fabric) produce these; the HTTP layer only serialises them.

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

/**
 * A link between two peers, with its counters, from an optional link source
 * (switched doorbells). Without one, the topology has only the switch's ports.
 */
export interface LinkView {
  source: number;
  target: number;
  state: string;
  doorbells: number;
  faults: number;
}

/** Something that can tell what links exist and how busy they are. */
export interface LinkSource {
  links(): LinkView[];
}

export interface TopologyNode {
  /** "switch-15", "peer-3", or "server" for a plain server's socket. */
  id: string;
  kind: 'switch' | 'peer' | 'server';
  peer?: number;
  nodename?: string;
  cclass?: string;
  cid?: number;
  sid?: number;
  linkState?: string;
}

export interface TopologyLink {
  source: string;
  target: string;
  kind: 'port' | 'socket' | 'doorbells';
  state?: string;
  doorbells?: number;
  faults?: number;
}

/** networkx's node_link_data shape, which D3's force layout reads as it is. */
export interface NodeLinkGraph {
  directed: boolean;
  multigraph: boolean;
  graph: { name: string; kind: 'server' | 'fabric' };
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
  options: Record<string, string | number | boolean>;
}

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
  | { type: 'message'; from: number; to: number; nodename: string; body: string; tracker?: number }
  | { type: 'sent'; from: number; to: number; text: string }
  | { type: 'link'; change: string; peer: PeerView }
  | { type: 'warning'; text: string };

export interface WebSource {
  readonly kind: 'server' | 'fabric';
  peers(): PeerView[];
  topology(): NodeLinkGraph;
  describe(): Omit<ServerView, 'write'>;
  /** FAME-Z's /system (a fabric only). */
  system?(): FameZSystem;
  /** A message from the switch to a port (a fabric only); resolves once taken. */
  send?(to: number, text: string): Promise<void>;
  /** Calls `listener` for each event until the returned function is called. */
  subscribe(listener: (event: SourceEvent) => void): () => void;
}
