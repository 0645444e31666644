// The fds switched doorbells cost, against RLIMIT_NOFILE: checked before
// they are made, so that a peer is refused with the numbers instead of
// EMFILE half-way through a join. Node has no getrlimit: /proc/self/limits.
import { readdirSync, readFileSync } from 'node:fs';

export interface FdLimit {
  soft: number;
  hard: number;
}

/** RLIMIT_NOFILE from the text of /proc/<pid>/limits ("unlimited" is Infinity). */
export function parseFdLimit(limits: string): FdLimit {
  const line = limits.split('\n').find((l) => l.startsWith('Max open files'));
  const fields = line?.slice('Max open files'.length).trim().split(/\s+/);
  if (!fields || fields.length < 2) throw new Error('no "Max open files" line in the limits');
  const value = (text: string): number => (text === 'unlimited' ? Infinity : Number(text));
  const [soft, hard] = [value(fields[0]!), value(fields[1]!)];
  if (!(soft >= 0) || !(hard >= 0)) throw new Error(`bad "Max open files" line: ${line}`);
  return { soft, hard };
}

export function readFdLimit(): FdLimit {
  return parseFdLimit(readFileSync('/proc/self/limits', 'utf8'));
}

export function openFdCount(): number {
  return readdirSync('/proc/self/fd').length;
}

/**
 * Server fds a joining peer costs when switched: its own eventfds, and an
 * eventfd per vector each way between it and each of `others` connected peers.
 */
export function switchedJoinCost(others: number, vectors: number): number {
  return vectors * (1 + 2 * others);
}

/** Fds of N connected peers fully switched: N x (N-1) x vectors, plus their own. */
export function switchedTotal(peers: number, vectors: number): number {
  return vectors * peers * peers;
}

/** How many peers fit in `available` fds when switched. */
export function peersThatFit(available: number, vectors: number): number {
  return available <= 0 ? 0 : Math.floor(Math.sqrt(available / vectors));
}

/**
 * Why a join that needs `needed` more fds cannot go ahead, or undefined.
 * `spare` fds stay free for sockets, queued messages and the refusal itself.
 */
export function fdShortage(needed: number, open: number, limit: FdLimit, spare = 32): string | undefined {
  if (open + needed + spare <= limit.soft) return undefined;
  return (
    `switched doorbells need ${needed} more fds for this peer, with ${open} open and a limit (RLIMIT_NOFILE) of ${limit.soft}` +
    ` (${spare} kept spare): raise the limit (ulimit -n) or admit fewer peers`
  );
}
