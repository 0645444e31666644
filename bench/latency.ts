// 1. Doorbell round trip between two famez clients in two processes, pinned to
// one CPU and unpinned, beside the C floor (bench/eventfd-pingpong.c) and, to
// show where the difference goes, two Node peers using src/sys only
// (children/raw-peer) and C making the same system calls as Node.
import { join } from 'node:path';
import { createServer } from '../src/index.js';
import { compileC, median, nextMessage, spread, start, startNode, stopped, type Message, type Spread } from './lib.js';
import { PINNINGS, type BenchContext } from './plan.js';

export interface Latency {
  medianUs: number;
  p99Us: number;
  minUs: number;
  meanUs: number;
}

/**
 * The C floor; with `epoll`, C making the system calls famez's Node peers make;
 * with `poll`, those of the worker-thread wait on an eventfd left non-blocking (poll, then
 * read; a doorbell given over with takeDoorbell is made blocking, and waits in one read).
 */
export async function eventfdRoundTrip(
  ctx: Pick<BenchContext, 'plan'>,
  binary: string,
  prefix: string[],
  mode?: 'epoll' | 'poll',
): Promise<Latency> {
  const argv = [...prefix, binary, String(ctx.plan.rounds), String(ctx.plan.warmup), ...(mode ? [mode] : [])];
  const child = start(argv[0]!, argv.slice(1));
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`${argv.join(' ')} exited ${code}`);
  const r = JSON.parse(out) as { median_ns: number; p99_ns: number; min_ns: number; mean_ns: number };
  return { medianUs: r.median_ns / 1e3, p99Us: r.p99_ns / 1e3, minUs: r.min_ns / 1e3, meanUs: r.mean_ns / 1e3 };
}

/** Two famez clients in two processes; a process under `prefix` (taskset) each. */
export async function twoClients(socket: string, roles: [string, string], prefix: string[], script = 'doorbell-peer') {
  const first = startNode(script, [roles[0], socket], prefix);
  const firstId = (await nextMessage<Message & { id: number }>(first, 'ready', 30_000)).id;
  const heard = nextMessage(first, 'peer', 30_000);
  const second = startNode(script, [roles[1], socket], prefix);
  const secondId = (await nextMessage<Message & { id: number }>(second, 'ready', 30_000)).id;
  await heard;
  const close = async (): Promise<void> => {
    for (const child of [first, second]) if (child.connected) child.send({ type: 'exit' });
    await Promise.all([stopped(first), stopped(second)]);
  };
  return { first, firstId, second, secondId, close };
}

/**
 * famez clients (doorbell-peer), raw src/sys peers (raw-peer) for the breakdown,
 * or famez clients whose doorbell is handed to a worker thread (`threads`).
 */
export async function famezPingPong(
  ctx: BenchContext,
  socket: string,
  prefix: string[],
  script = 'doorbell-peer',
  threads = false,
): Promise<Latency> {
  const roles: [string, string] = threads ? ['thread-pong', 'thread-ping'] : ['pong', 'ping'];
  const {
    first: ponger,
    firstId: pong,
    second: ping,
    secondId,
    close,
  } = await twoClients(socket, roles, prefix, script);
  try {
    if (threads) ponger.send({ type: 'start', peer: secondId });
    const result = nextMessage<Message & { median: number; p99: number; min: number; mean: number }>(
      ping,
      'result',
      120_000,
    );
    ping.send({ type: 'start', peer: pong, rounds: ctx.plan.rounds, warmup: ctx.plan.warmup });
    const r = await result;
    return { medianUs: r.median / 1e3, p99Us: r.p99 / 1e3, minUs: r.min / 1e3, meanUs: r.mean / 1e3 };
  } finally {
    await close();
  }
}

type Side = 'famez' | 'c' | 'nodeSys' | 'cEpoll' | 'cPoll' | 'thread';
const SIDES: Side[] = ['c', 'famez', 'nodeSys', 'cEpoll', 'cPoll', 'thread'];

export async function latency(ctx: BenchContext) {
  const binary = compileC('eventfd-pingpong');
  const server = createServer({
    socketPath: join(ctx.tmp, 'latency.sock'),
    memory: { kind: 'memfd', size: 65536 },
    vectors: 1,
  });
  await server.listen();
  const out: Record<string, unknown> = { rounds: ctx.plan.rounds, warmup: ctx.plan.warmup, reps: ctx.plan.reps };
  try {
    for (const pinning of PINNINGS) {
      const prefix = [...pinning.prefix];
      const measure: Record<Side, () => Promise<Latency>> = {
        c: () => eventfdRoundTrip(ctx, binary, prefix),
        famez: () => famezPingPong(ctx, server.socketPath, prefix),
        nodeSys: () => famezPingPong(ctx, server.socketPath, prefix, 'raw-peer'),
        cEpoll: () => eventfdRoundTrip(ctx, binary, prefix, 'epoll'),
        cPoll: () => eventfdRoundTrip(ctx, binary, prefix, 'poll'),
        thread: () => famezPingPong(ctx, server.socketPath, prefix, 'doorbell-peer', true),
      };
      const reps: Array<Record<Side, Latency>> = [];
      for (let rep = 0; rep < ctx.plan.reps; rep++) {
        // Alternating order: a drift of the machine does not always favour the same side.
        const order = rep % 2 === 0 ? SIDES : [...SIDES].reverse();
        const round = {} as Record<Side, Latency>;
        for (const side of order) round[side] = await measure[side]();
        reps.push(round);
        ctx.log(
          `round trip ${pinning.name} #${rep + 1}: famez ${round.famez.medianUs.toFixed(1)} us, C ${round.c.medianUs.toFixed(1)} us, ` +
            `Node + src/sys only ${round.nodeSys.medianUs.toFixed(1)} us, C with epoll ${round.cEpoll.medianUs.toFixed(1)} us, ` +
            `C with poll ${round.cPoll.medianUs.toFixed(1)} us, famez with a worker thread's blocking wait ${round.thread.medianUs.toFixed(1)} us (median)`,
        );
      }
      const pick = (side: Side): Latency => ({
        medianUs: median(reps.map((r) => r[side].medianUs)),
        p99Us: median(reps.map((r) => r[side].p99Us)),
        minUs: Math.min(...reps.map((r) => r[side].minUs)),
        meanUs: median(reps.map((r) => r[side].meanUs)),
      });
      // Each ratio: the median of the rounds' ratios (both sides of a round measured minutes apart at most).
      const ratio = (side: Side): Spread => spread(reps.map((r) => r[side].medianUs / r.c.medianUs));
      const ratios = {
        famez: ratio('famez'),
        thread: ratio('thread'),
        nodeSys: ratio('nodeSys'),
        cEpoll: ratio('cEpoll'),
        cPoll: ratio('cPoll'),
        // What famez adds to Node's own floor (the goal), per round as the others.
        famezNodeSys: spread(reps.map((r) => r.famez.medianUs / r.nodeSys.medianUs)),
      };
      out[pinning.name] = {
        affinity: pinning.label,
        famez: pick('famez'),
        c: pick('c'),
        nodeSys: pick('nodeSys'),
        cEpoll: pick('cEpoll'),
        cPoll: pick('cPoll'),
        thread: pick('thread'),
        ratios,
        ratioMedian: ratios.famez.median,
        threadRatioMedian: ratios.thread.median,
        nodeSysRatioMedian: ratios.nodeSys.median,
        cEpollRatioMedian: ratios.cEpoll.median,
        ratioP99: median(reps.map((r) => r.famez.p99Us / r.c.p99Us)),
        reps,
      };
    }
  } finally {
    await server.close();
  }
  return out as { rounds: number; warmup: number; reps: number } & Record<
    'pinned' | 'unpinned',
    {
      famez: Latency;
      c: Latency;
      nodeSys: Latency;
      nodeSysRatioMedian: number;
      cEpoll: Latency;
      cEpollRatioMedian: number;
      thread: Latency;
      threadRatioMedian: number;
      cPoll: Latency;
      ratioMedian: number;
      ratioP99: number;
      ratios: Record<'famez' | 'thread' | 'nodeSys' | 'cEpoll' | 'cPoll' | 'famezNodeSys', Spread>;
    }
  >;
}
