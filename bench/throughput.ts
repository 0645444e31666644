// 2. One-way doorbell throughput: a sender rings a sink as fast as it can.
import { join } from 'node:path';
import { createServer } from '../src/index.js';
import { nextMessage, sleep, type Message } from './lib.js';
import { twoClients } from './latency.js';
import { PINNINGS, type BenchContext } from './plan.js';

/** A sender rings a sink as fast as it can for ctx.plan.throughputMs: what it sent, what the sink saw. */
export async function oneWay(ctx: BenchContext, socket: string, prefix: string[]) {
  const { first: sink, firstId, second: source, close } = await twoClients(socket, ['sink', 'source'], prefix);
  try {
    const result = nextMessage<Message & { sent: number; seconds: number }>(
      source,
      'result',
      ctx.plan.throughputMs + 60_000,
    );
    source.send({ type: 'start', peer: firstId, ms: ctx.plan.throughputMs });
    const sent = await result;
    await sleep(300);
    const counted = nextMessage<Message & { rings: number; wakeups: number }>(sink, 'counts', 30_000);
    sink.send({ type: 'report' });
    return { sent, seen: await counted };
  } finally {
    await close();
  }
}

export async function throughput(ctx: BenchContext) {
  const server = createServer({
    socketPath: join(ctx.tmp, 'throughput.sock'),
    memory: { kind: 'memfd', size: 65536 },
    vectors: 1,
  });
  await server.listen();
  const out: Record<string, unknown> = { seconds: ctx.plan.throughputMs / 1000 };
  try {
    for (const pinning of PINNINGS) {
      const { sent, seen } = await oneWay(ctx, server.socketPath, [...pinning.prefix]);
      out[pinning.name] = {
        affinity: pinning.label,
        seconds: sent.seconds,
        ringsSent: sent.sent,
        ringsSeen: seen.rings,
        wakeups: seen.wakeups,
        ringsPerSecond: seen.rings / sent.seconds,
        wakeupsPerSecond: seen.wakeups / sent.seconds,
        ringsPerWakeup: seen.rings / Math.max(1, seen.wakeups),
      };
      ctx.log(
        `throughput ${pinning.name}: ${(seen.rings / sent.seconds / 1e3).toFixed(0)}k rings/s, ${(seen.wakeups / sent.seconds / 1e3).toFixed(1)}k wake-ups/s`,
      );
    }
  } finally {
    await server.close();
  }
  return out as { seconds: number } & Record<
    'pinned' | 'unpinned',
    {
      ringsSent: number;
      ringsSeen: number;
      ringsPerSecond: number;
      wakeupsPerSecond: number;
      ringsPerWakeup: number;
    }
  >;
}
