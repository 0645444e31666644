// What nodes say to each other over NATS, as JSON, and the checks every
// received message passes: another node is a peer like any other, so what it
// sends is untrusted input.
import type { FaultChange } from '../switching/faults.js';
import { changeOf } from './wire-faults.js';
import { isCount, isId, isName, isNumber, isText } from './wire-checks.js';

/** A peer of a node as the others see it (names only on a fabric). */
export interface RemotePeer {
  id: number;
  nodename?: string;
  cclass?: string;
}

/** A node's heartbeat: who it is and which peers it holds. */
export interface NodeState {
  t: 'state';
  node: string;
  /** Tells a restarted node from its previous run. */
  instance: string;
  peers: RemotePeer[];
  /** Ids it holds as spares (another host short of one may ask it for one). */
  spares?: number;
  /** The version of its peer list (PeerChanges count up from it). */
  version?: number;
}

/** A node's peers changed: version `version` of its list is the one before with these changes. */
export interface PeerChanges {
  t: 'peers';
  node: string;
  instance: string;
  version: number;
  added: RemotePeer[];
  removed: number[];
}

/** A node's heartbeat: small whatever its peers (its list's version says whether anything was missed). */
export interface Beat {
  t: 'beat';
  node: string;
  instance: string;
  version: number;
  spares: number;
}

/**
 * What one node sends another; `node` (the sender) and `version` (of the
 * sender's peer list when sent: a peer it names is in that list) are filled
 * in when it is sent.
 */
export type Directed = (
  | { t: 'ring'; to: number; vector: number; count: number; from?: number }
  | { t: 'msg'; from: number; to: number; seq: number; text: string }
  | { t: 'ack'; from: number; seq: number }
) & { node?: string; version?: number };

/**
 * Fault changes one node made or knows, told to all (or, to catch up a node
 * that joined later, to one), applied together. Links are named as `node`
 * sees them; `at` (the changer's clock, ms since 1970) versions them: of two
 * changes to one link the later wins on every node.
 */
export interface FaultMessage {
  t: 'fault';
  node: string;
  at: number;
  /** The node that made the changes, when not `node` (a node passing on what it knows). */
  by?: string;
  changes: FaultChange[];
}

/** Fault changes in one message at most (what rebuilds one link's faults). */
export const MAX_FAULT_CHANGES = 8;

/** Several directed messages from `node` at once (their own `node` and `version` are the batch's). */
export interface Batch {
  t: 'batch';
  node: string;
  version?: number;
  items: Directed[];
}

/** Directed messages in one batch at most (more leave as several batches). */
export const MAX_BATCH = 64;

/**
 * A message's bytes at most: a full batch of the longest messages fits, and so
 * does a heartbeat of MAX_NODE_PEERS peers with their names. nats-server's
 * max_payload can be set to this (docs/cluster.md), so that it refuses more.
 */
export const MAX_WIRE_BYTES = 128 * 1024;

/** Peers one node may say it holds. */
export const MAX_NODE_PEERS = 256;

export type WireMessage =
  | NodeState
  | PeerChanges
  | Beat
  /** Asks a node for its whole state (a change was missed). */
  | { t: 'want'; node: string }
  | Directed
  | Batch
  | FaultMessage
  | { t: 'hello'; node: string }
  /** A host short of an id asks one that holds spares to free one. */
  | { t: 'give'; node: string }
  | { t: 'bye'; node: string; instance: string };

/**
 * Subjects of node `node` in cluster `name`. A node publishes only on
 * subjects that carry its own name (famez.NAME.NODE.>), so that NATS's
 * per-user permissions decide who may speak as which node, and who may read
 * what is sent to it (famez.NAME.*.to.NODE).
 */
export function subjects(
  name: string,
  node: string,
): {
  /** What this node tells every node. */
  all: string;
  /** What this node sends node `to` only. */
  to: (to: string) => string;
  /** What this node listens to: every node's `all`, and what is sent to it. */
  listen: [string, string];
} {
  const base = `famez.${name}`;
  return {
    all: `${base}.${node}.all`,
    to: (to) => `${base}.${node}.to.${to}`,
    listen: [`${base}.*.all`, `${base}.*.to.${node}`],
  };
}

/** The node a subject of cluster `name` belongs to (its publisher), if it is one. */
export function senderOf(subject: string): string | undefined {
  const sender = subject.split('.')[2];
  return sender !== undefined && isName(sender) ? sender : undefined;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export function encodeWire(message: WireMessage): Uint8Array {
  return encoder.encode(JSON.stringify(message));
}

/** Parses and checks a message: a one-line reason when it is no message famez sends. */
export function decodeWire(data: Uint8Array): WireMessage | string {
  if (data.length > MAX_WIRE_BYTES) return `a message over ${MAX_WIRE_BYTES} bytes`;
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(data));
  } catch {
    return 'not JSON text';
  }
  if (typeof value !== 'object' || value === null) return 'not an object';
  const m = value as Record<string, unknown>;
  switch (m.t) {
    case 'state': {
      if (!isName(m.node) || !isText(m.instance, 64)) return 'a bad state message';
      const peers = peersOf(m.peers, 'a state message');
      if (typeof peers === 'string') return peers;
      if (m.spares !== undefined && !isCount(m.spares, MAX_NODE_PEERS)) return 'a state message with bad spares';
      if (m.version !== undefined && !isCount(m.version, Number.MAX_SAFE_INTEGER))
        return 'a state message with a bad version';
      const state: NodeState = { t: 'state', node: m.node, instance: m.instance, peers };
      if (m.spares !== undefined) state.spares = m.spares;
      if (m.version !== undefined) state.version = m.version;
      return state;
    }
    case 'peers': {
      if (!isName(m.node) || !isText(m.instance, 64) || !isCount(m.version, Number.MAX_SAFE_INTEGER))
        return 'a bad peers message';
      const added = peersOf(m.added, 'a peers message');
      if (typeof added === 'string') return added;
      if (!Array.isArray(m.removed) || m.removed.length > MAX_NODE_PEERS || !m.removed.every(isId))
        return 'a peers message with bad removed ids';
      return { t: 'peers', node: m.node, instance: m.instance, version: m.version, added, removed: m.removed };
    }
    case 'beat':
      return isName(m.node) &&
        isText(m.instance, 64) &&
        isCount(m.version, Number.MAX_SAFE_INTEGER) &&
        isCount(m.spares, MAX_NODE_PEERS)
        ? { t: 'beat', node: m.node, instance: m.instance, version: m.version, spares: m.spares }
        : 'a bad beat';
    case 'want':
      return isName(m.node) ? { t: 'want', node: m.node } : 'a bad want';
    case 'ring':
    case 'msg':
    case 'ack': {
      if (!isName(m.node)) return `a ${m.t} without its sender`;
      if (!isVersion(m.version)) return `a ${m.t} with a bad version`;
      return directedOf(m, m.node, m.version);
    }
    case 'batch': {
      if (!isName(m.node)) return 'a batch without its sender';
      if (!isVersion(m.version)) return 'a batch with a bad version';
      if (!Array.isArray(m.items) || m.items.length < 1 || m.items.length > MAX_BATCH)
        return `a batch of other than 1 to ${MAX_BATCH} items`;
      const items: Directed[] = [];
      for (const item of m.items as unknown[]) {
        const directed =
          typeof item === 'object' && item !== null
            ? directedOf(item as Record<string, unknown>, m.node, m.version)
            : 'a bad item';
        if (typeof directed === 'string') return `a batch with ${directed}`;
        items.push(directed);
      }
      return { t: 'batch', node: m.node, ...versionOf(m.version), items };
    }
    case 'fault': {
      if (!isName(m.node) || !isNumber(m.at)) return 'a fault without its sender or time';
      if (!Array.isArray(m.changes) || m.changes.length < 1 || m.changes.length > MAX_FAULT_CHANGES)
        return `a fault of other than 1 to ${MAX_FAULT_CHANGES} changes`;
      const changes: FaultChange[] = [];
      for (const item of m.changes as unknown[]) {
        const change = changeOf(item);
        if (typeof change === 'string') return change;
        changes.push(change);
      }
      if (m.by !== undefined && !isName(m.by)) return 'a fault with a bad maker';
      return m.by === undefined
        ? { t: 'fault', node: m.node, at: m.at, changes }
        : { t: 'fault', node: m.node, at: m.at, by: m.by, changes };
    }
    case 'hello':
      return isName(m.node) ? { t: 'hello', node: m.node } : 'a bad hello';
    case 'give':
      return isName(m.node) ? { t: 'give', node: m.node } : 'a bad give';
    case 'bye':
      return isName(m.node) && isText(m.instance, 64) ? { t: 'bye', node: m.node, instance: m.instance } : 'a bad bye';
    default:
      return 'an unknown kind of message';
  }
}

/** A list of peers with their names, checked. */
function peersOf(list: unknown, what: string): RemotePeer[] | string {
  if (!Array.isArray(list) || list.length > MAX_NODE_PEERS) return `${what} with a bad list of peers`;
  const peers: RemotePeer[] = [];
  for (const peer of list as unknown[]) {
    const p = peer as Record<string, unknown> | null;
    if (typeof p !== 'object' || p === null || !isId(p.id)) return `${what} with a bad peer`;
    if ((p.nodename !== undefined && !isText(p.nodename, 31)) || (p.cclass !== undefined && !isText(p.cclass, 31)))
      return `${what} with bad names`;
    peers.push({ id: p.id, nodename: p.nodename as string | undefined, cclass: p.cclass as string | undefined });
  }
  return peers;
}

/** An optional list version: absent, or a count. */
const isVersion = (value: unknown): value is number | undefined =>
  value === undefined || isCount(value, Number.MAX_SAFE_INTEGER);
const versionOf = (version: number | undefined): { version?: number } => (version === undefined ? {} : { version });

/** A ring, message or ack, checked, with its sender `node` and list `version` (made once: one per message received). */
function directedOf(m: Record<string, unknown>, node: string, version: number | undefined): Directed | string {
  let directed: Directed;
  switch (m.t) {
    case 'ring':
      if (
        !isId(m.to) ||
        !isCount(m.vector, 255) ||
        !isCount(m.count, 1 << 20) ||
        (m.from !== undefined && !isId(m.from))
      )
        return 'a bad ring';
      directed = { t: 'ring', to: m.to, vector: m.vector, count: m.count, node };
      if (m.from !== undefined) directed.from = m.from;
      break;
    case 'msg':
      if (!isId(m.from) || !isId(m.to) || !isCount(m.seq, Number.MAX_SAFE_INTEGER) || !isText(m.text, 384))
        return 'a bad message';
      directed = { t: 'msg', from: m.from, to: m.to, seq: m.seq, text: m.text, node };
      break;
    default:
      if (!isId(m.from) || !isCount(m.seq, Number.MAX_SAFE_INTEGER)) return 'a bad ack';
      directed = { t: 'ack', from: m.from, seq: m.seq, node };
  }
  if (version !== undefined) directed.version = version;
  return directed;
}
