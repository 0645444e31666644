// What nodes say to each other over NATS, as JSON, and the checks every
// received message passes: another node is a peer like any other, so what it
// sends is untrusted input.
import { MAX_PEER_ID } from '../protocol/message.js';

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
}

/** What one node sends another; `node` (the sender) is filled in when it is sent. */
export type Directed = (
  | { t: 'ring'; to: number; vector: number; count: number; from?: number }
  | { t: 'msg'; from: number; to: number; seq: number; text: string }
  | { t: 'ack'; from: number; seq: number }
) & { node?: string };

export type WireMessage = NodeState | Directed | { t: 'hello'; node: string } | { t: 'bye'; node: string; instance: string };

/** Subjects of cluster `name`. */
export function subjects(name: string): { state: string; hello: string; bye: string; to: (node: string) => string } {
  const base = `famez.${name}`;
  return { state: `${base}.state`, hello: `${base}.hello`, bye: `${base}.bye`, to: (node) => `${base}.to.${node}` };
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export function encodeWire(message: WireMessage): Uint8Array {
  return encoder.encode(JSON.stringify(message));
}

const isId = (value: unknown): value is number => Number.isInteger(value) && (value as number) >= 0 && (value as number) <= MAX_PEER_ID;
const isCount = (value: unknown, max: number): value is number => Number.isInteger(value) && (value as number) >= 0 && (value as number) <= max;
const isName = (value: unknown): value is string => typeof value === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(value);
const isText = (value: unknown, max: number): value is string => typeof value === 'string' && value.length <= max;

/** Parses and checks a message: a one-line reason when it is no message famez sends. */
export function decodeWire(data: Uint8Array): WireMessage | string {
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
      if (!isName(m.node) || !isText(m.instance, 64) || !Array.isArray(m.peers) || m.peers.length > MAX_PEER_ID + 1) return 'a bad state message';
      const peers: RemotePeer[] = [];
      for (const peer of m.peers as unknown[]) {
        const p = peer as Record<string, unknown> | null;
        if (typeof p !== 'object' || p === null || !isId(p.id)) return 'a state message with a bad peer';
        if ((p.nodename !== undefined && !isText(p.nodename, 31)) || (p.cclass !== undefined && !isText(p.cclass, 31))) return 'a state message with bad names';
        peers.push({ id: p.id, nodename: p.nodename as string | undefined, cclass: p.cclass as string | undefined });
      }
      return { t: 'state', node: m.node, instance: m.instance, peers };
    }
    case 'ring':
    case 'msg':
    case 'ack': {
      if (!isName(m.node)) return `a ${m.t} without its sender`;
      const directed = directedOf(m);
      return typeof directed === 'string' ? directed : { ...directed, node: m.node };
    }
    case 'hello':
      return isName(m.node) ? { t: 'hello', node: m.node } : 'a bad hello';
    case 'bye':
      return isName(m.node) && isText(m.instance, 64) ? { t: 'bye', node: m.node, instance: m.instance } : 'a bad bye';
    default:
      return 'an unknown kind of message';
  }
}

function directedOf(m: Record<string, unknown>): Directed | string {
  switch (m.t) {
    case 'ring':
      if (!isId(m.to) || !isCount(m.vector, 255) || !isCount(m.count, 1 << 20) || (m.from !== undefined && !isId(m.from))) return 'a bad ring';
      return m.from === undefined ? { t: 'ring', to: m.to, vector: m.vector, count: m.count } : { t: 'ring', to: m.to, vector: m.vector, count: m.count, from: m.from };
    case 'msg':
      return isId(m.from) && isId(m.to) && isCount(m.seq, Number.MAX_SAFE_INTEGER) && isText(m.text, 384)
        ? { t: 'msg', from: m.from, to: m.to, seq: m.seq, text: m.text } : 'a bad message';
    default:
      return isId(m.from) && isCount(m.seq, Number.MAX_SAFE_INTEGER) ? { t: 'ack', from: m.from, seq: m.seq } : 'a bad ack';
  }
}
