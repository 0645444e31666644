// `famez server` in a process of its own (under prlimit, taskset or
// --trace-gc as asked), and a farm of raw peers that join it: what the
// switched, join and idle sections measure against.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN_NODE_FLAGS, DIST, fdLimits, nextMessage, sleep, start, startNode, stopped, type Message } from './lib.js';
import type { BenchContext } from './plan.js';

const CLI = `${DIST}src/cli/main.js`;
export const limits = fdLimits();

/** A prefix raising the soft fd limit when `need` exceeds it (up to the hard limit). */
export function fdPrefix(need: number): string[] {
  if (need <= limits.soft) return [];
  const to = Math.min(limits.hard, Math.max(need, 65536));
  return ['prlimit', `--nofile=${to}:${limits.hard === Infinity ? 'unlimited' : limits.hard}`];
}

/** With `traceGc`, the server runs under node --trace-gc and its GC lines are collected (with arrival times). */
export async function famezServer(
  ctx: BenchContext,
  name: string,
  vectors: number,
  peers: number,
  traceGc = false,
  extra: { prefix?: string[]; args?: string[] } = {},
) {
  const socket = join(ctx.tmp, `${name}.sock`);
  const pidFile = join(ctx.tmp, `${name}.pid`);
  // Sockets + eventfds + copies queued for the newcomer (at most its (N-1)*V) + spare.
  const need = peers * (1 + vectors) + peers * vectors + 64;
  if (need > limits.hard) ctx.log(`warning: the server may need ${need} fds, the hard limit is ${limits.hard}`);
  const argv = [
    ...fdPrefix(need),
    ...(extra.prefix ?? []),
    process.execPath,
    ...BIN_NODE_FLAGS,
    ...(traceGc ? ['--trace-gc'] : []),
    CLI,
    'server',
    '-S',
    socket,
    '-m',
    '/dev/shm',
    '-l',
    '64K',
    '-n',
    String(vectors),
    '-p',
    pidFile,
    ...(extra.args ?? []),
  ];
  // TERM if the bench dies: the server then removes its socket file itself.
  const child = start(argv[0]!, argv.slice(1), { stdio: ['ignore', traceGc ? 'pipe' : 'ignore', 'inherit'] }, 'TERM');
  const gcs: Array<{ at: number; line: string }> = [];
  if (traceGc) {
    let partial = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop()!;
      const at = Date.now();
      for (const line of lines) {
        const gc = /^\[\d+:0x[0-9a-f]+\]\s+\d+ ms: (.*?);/.exec(line);
        if (gc) gcs.push({ at, line: gc[1]! });
      }
    });
  }
  const deadline = Date.now() + 15_000;
  while (!existsSync(pidFile)) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`famez server exited (${child.exitCode ?? child.signalCode})`);
    if (Date.now() > deadline) throw new Error('famez server did not start within 15 s');
    await sleep(20);
  }
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  const stop = async (): Promise<void> => {
    child.kill('SIGTERM');
    await stopped(child, 10_000);
  };
  return { socket, pid, child, stop, gcs };
}

export interface Joined extends Message {
  peers: number;
  vectors: number;
  joinNs: number[];
  joinSeconds: number;
  totalSeconds: number;
  messages: number;
  expected: number;
  lost: number;
}

export async function farm(socket: string, vectors: number, peers: number) {
  const child = startNode('join-farm', [socket, String(vectors)], fdPrefix(peers + 256));
  await nextMessage(child, 'ready', 30_000);
  const joined = async (): Promise<Joined> => {
    const done = nextMessage<Joined>(child, 'joined', 600_000);
    child.send({ type: 'join', peers });
    return done;
  };
  const close = async (): Promise<void> => {
    if (child.connected) child.send({ type: 'exit' });
    await stopped(child);
  };
  return { child, joined, close };
}
