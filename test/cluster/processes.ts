// Hosts as users run them, for the cluster tests: each `famez fabric
// --cluster` its own process, and C mailbox peers (bench/mailbox-peer.c) that
// count numbered round trips across hosts.
import type { TestContext } from 'node:test';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LineProcess } from '../helpers/line-process.js';

const MAIN = join(dirname(fileURLToPath(import.meta.url)), '../../src/cli/main.js');

/** `famez fabric --cluster URL --cluster-name CLUSTER --node NODE` on DIR/NODE.sock, with `extra` options. */
export function fabricProcess(
  t: TestContext,
  dir: string,
  cluster: string,
  node: string,
  url: string,
  extra: string[] = [],
): LineProcess {
  return new LineProcess(t, `famez fabric ${node}`, process.execPath, [
    MAIN,
    ...['fabric', '-S', join(dir, `${node}.sock`), '-M', join(dir, `${node}.mailbox`)],
    ...['--cluster', url, '--cluster-name', cluster, '--node', node, ...extra],
  ]);
}

export interface Counted {
  rounds: number;
  lost: number;
  doubled: number;
  stale: number;
}

/** A C peer on `socket` that sends numbered pings to `target` from the moment it joins, and what it counted. */
export async function countRounds(
  t: TestContext,
  peer: string,
  socket: string,
  target: number,
  rounds: number,
): Promise<Counted> {
  const pinger = new LineProcess(t, 'pinger', peer, [socket, 'count', String(target), String(rounds)]);
  return JSON.parse(await pinger.line(/^\{"rounds"/, 60_000 + rounds * 10)) as Counted;
}
