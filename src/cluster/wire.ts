// What nodes say to each other over NATS, as JSON, and the checks every
// received message passes: another node is a peer like any other, so what it
// sends is untrusted input.
import { MAX_PEER_ID } from '../protocol/message.js';
import { checkChange, type FaultChange } from '../switching/faults.js';

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
}

/** What one node sends another; `node` (the sender) is filled in when it is sent. */
export type Directed = (
  | { t: 'ring'; to: number; vector: number; count: number; from?: number }
  | { t: 'msg'; from: number; to: number; seq: number; text: string }
  | { t: 'ack'; from: number; seq: number }
) & { node?: string };

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

/** Several directed messages from `node` at once (their own `node` is left out). */
export interface Batch {
  t: 'batch';
  node: string;
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

const isId = (value: unknown): value is number =>
  Number.isInteger(value) && (value as number) >= 0 && (value as number) <= MAX_PEER_ID;
const isCount = (value: unknown, max: number): value is number =>
  Number.isInteger(value) && (value as number) >= 0 && (value as number) <= max;
const isName = (value: unknown): value is string => typeof value === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(value);
const isText = (value: unknown, max: number): value is string => typeof value === 'string' && value.length <= max;

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
      if (!isName(m.node) || !isText(m.instance, 64) || !Array.isArray(m.peers) || m.peers.length > MAX_NODE_PEERS)
        return 'a bad state message';
      const peers: RemotePeer[] = [];
      for (const peer of m.peers as unknown[]) {
        const p = peer as Record<string, unknown> | null;
        if (typeof p !== 'object' || p === null || !isId(p.id)) return 'a state message with a bad peer';
        if ((p.nodename !== undefined && !isText(p.nodename, 31)) || (p.cclass !== undefined && !isText(p.cclass, 31)))
          return 'a state message with bad names';
        peers.push({ id: p.id, nodename: p.nodename as string | undefined, cclass: p.cclass as string | undefined });
      }
      if (m.spares !== undefined && !isCount(m.spares, MAX_NODE_PEERS)) return 'a state message with bad spares';
      return m.spares === undefined
        ? { t: 'state', node: m.node, instance: m.instance, peers }
        : { t: 'state', node: m.node, instance: m.instance, peers, spares: m.spares };
    }
    case 'ring':
    case 'msg':
    case 'ack': {
      if (!isName(m.node)) return `a ${m.t} without its sender`;
      const directed = directedOf(m);
      return typeof directed === 'string' ? directed : { ...directed, node: m.node };
    }
    case 'batch': {
      if (!isName(m.node)) return 'a batch without its sender';
      if (!Array.isArray(m.items) || m.items.length < 1 || m.items.length > MAX_BATCH)
        return `a batch of other than 1 to ${MAX_BATCH} items`;
      const items: Directed[] = [];
      for (const item of m.items as unknown[]) {
        const directed =
          typeof item === 'object' && item !== null ? directedOf(item as Record<string, unknown>) : 'a bad item';
        if (typeof directed === 'string') return `a batch with ${directed}`;
        items.push({ ...directed, node: m.node });
      }
      return { t: 'batch', node: m.node, items };
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

function directedOf(m: Record<string, unknown>): Directed | string {
  switch (m.t) {
    case 'ring':
      if (
        !isId(m.to) ||
        !isCount(m.vector, 255) ||
        !isCount(m.count, 1 << 20) ||
        (m.from !== undefined && !isId(m.from))
      )
        return 'a bad ring';
      return m.from === undefined
        ? { t: 'ring', to: m.to, vector: m.vector, count: m.count }
        : { t: 'ring', to: m.to, vector: m.vector, count: m.count, from: m.from };
    case 'msg':
      return isId(m.from) && isId(m.to) && isCount(m.seq, Number.MAX_SAFE_INTEGER) && isText(m.text, 384)
        ? { t: 'msg', from: m.from, to: m.to, seq: m.seq, text: m.text }
        : 'a bad message';
    default:
      return isId(m.from) && isCount(m.seq, Number.MAX_SAFE_INTEGER)
        ? { t: 'ack', from: m.from, seq: m.seq }
        : 'a bad ack';
  }
}

/** A link as nodes name them: a host's (`host:NAME`) or a peer's (`peer:ID`). */
const isLinkName = (value: unknown): value is string =>
  typeof value === 'string' &&
  (/^host:[A-Za-z0-9_-]{1,64}$/.test(value) ||
    (/^peer:(0|[1-9][0-9]{0,4})$/.test(value) && isId(Number(value.slice(5)))));
const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

function changeOf(value: unknown): FaultChange | string {
  if (typeof value !== 'object' || value === null) return 'a fault without its change';
  const c = value as Record<string, unknown>;
  if (c.kind === 'clear' ? c.link !== undefined && !isLinkName(c.link) : !isLinkName(c.link))
    return 'a fault on a link nodes do not have';
  let change: FaultChange;
  switch (c.kind) {
    case 'link':
      if (typeof c.up !== 'boolean') return 'a bad link fault';
      change = { kind: 'link', link: c.link as string, up: c.up };
      break;
    case 'latency':
      if (!isNumber(c.us)) return 'a bad latency fault';
      change = { kind: 'latency', link: c.link as string, us: c.us };
      break;
    case 'drop':
      if (!isNumber(c.probability)) return 'a bad drop fault';
      change = { kind: 'drop', link: c.link as string, probability: c.probability };
      break;
    case 'rate': {
      const rate = c.rate as Record<string, unknown> | undefined;
      if (
        rate !== undefined &&
        (typeof rate !== 'object' || rate === null || !isNumber(rate.perSecond) || !isNumber(rate.burst))
      )
        return 'a bad rate fault';
      change = {
        kind: 'rate',
        link: c.link as string,
        rate: rate && { perSecond: rate.perSecond as number, burst: rate.burst as number },
      };
      break;
    }
    case 'clear':
      change = c.link === undefined ? { kind: 'clear' } : { kind: 'clear', link: c.link as string };
      break;
    default:
      return 'an unknown kind of fault';
  }
  try {
    return checkChange(change);
  } catch (error) {
    return `a fault out of range (${(error as Error).message})`;
  }
}
