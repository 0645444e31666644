// 2b. Switched doorbells: round trip and one-way rate through a direct and a
// switched server, what switching adds.
import { join } from 'node:path';
import { createServer } from '../src/index.js';
import { Router } from '../src/switching/router.js';
import { median, spread, type Spread } from './lib.js';
import { famezPingPong, type Latency } from './latency.js';
import { PINNINGS, type BenchContext } from './plan.js';
import { famezServer } from './server-process.js';
import { oneWay } from './throughput.js';

type Mode = 'direct' | 'switched';
const MODES: Mode[] = ['direct', 'switched'];

/**
 * Round trip and one-way rate through a direct and a switched server (a Router with no faults): what switching adds.
 * The round trips of the two alternate round by round; what a switched doorbell adds is taken per round.
 */
export async function switchedCost(ctx: BenchContext) {
  // Unpinned: the servers in this process, the switched one's Router read here.
  const router = new Router();
  const local = {
    direct: createServer({
      socketPath: join(ctx.tmp, 'direct.sock'),
      memory: { kind: 'memfd', size: 65536 },
      vectors: 1,
    }),
    switched: createServer({
      socketPath: join(ctx.tmp, 'switched.sock'),
      memory: { kind: 'memfd', size: 65536 },
      vectors: 1,
      switched: true,
      forwarding: router,
    }),
  };
  const out: Record<string, Record<string, unknown>> = {};
  const started: Array<{ stop(): Promise<void> }> = [];
  try {
    for (const mode of MODES) await local[mode].listen();
    // On one CPU: `famez server` in a process of its own, on CPU 0 with the two peers.
    const pinned = {} as Record<Mode, string>;
    for (const mode of MODES) {
      const server = await famezServer(ctx, `${mode}-pinned`, 1, 2, false, {
        prefix: [...PINNINGS[0].prefix],
        args: mode === 'switched' ? ['--switched'] : [],
      });
      started.push(server);
      pinned[mode] = server.socket;
    }
    for (const pinning of PINNINGS) {
      const socket = (mode: Mode): string => (pinning.name === 'pinned' ? pinned[mode] : local[mode].socketPath);
      const latencies: Record<Mode, Latency[]> = { direct: [], switched: [] };
      for (let rep = 0; rep < ctx.plan.reps; rep++) {
        for (const mode of rep % 2 === 0 ? MODES : [...MODES].reverse())
          latencies[mode].push(await famezPingPong(ctx, socket(mode), [...pinning.prefix]));
      }
      for (const mode of MODES) {
        const roundTrip = {
          medianUs: median(latencies[mode].map((l) => l.medianUs)),
          p99Us: median(latencies[mode].map((l) => l.p99Us)),
        };
        const counted = pinning.name === 'unpinned' && mode === 'switched' ? router : undefined;
        const before = new Map([...(counted?.counters() ?? [])].map(([link, c]) => [link, c.forwarded]));
        const { sent, seen } = await oneWay(ctx, socket(mode), [...pinning.prefix]);
        // The same measure on both sides: each link's own growth during the flood (the round trips before it crossed
        // these links too), the most any link grew: the flood's one-way doorbells all cross the sender's link.
        const forwarded = counted
          ? Math.max(0, ...[...counted.counters()].map(([link, c]) => c.forwarded - (before.get(link) ?? 0)))
          : undefined;
        (out[pinning.name] ??= {})[mode] = {
          roundTrip,
          ringsSent: sent.sent,
          ringsSeen: seen.rings,
          ringsPerSecond: seen.rings / sent.seconds,
          wakeupsPerSecond: seen.wakeups / sent.seconds,
          forwardedPerSecond: forwarded === undefined ? undefined : forwarded / sent.seconds,
        };
        ctx.log(
          `${mode} ${pinning.name}: round trip ${roundTrip.medianUs.toFixed(1)} us (median), ${(seen.rings / sent.seconds / 1e3).toFixed(0)}k rings/s one way`,
        );
      }
      // A round trip crosses the switch twice: per round, half the difference, and that over the direct round trip.
      const added = latencies.switched.map((l, i) => (l.medianUs - latencies.direct[i]!.medianUs) / 2);
      out[pinning.name]!.addedUsPerDoorbell = median(added);
      out[pinning.name]!.addedRatio = spread(added.map((us, i) => us / latencies.direct[i]!.medianUs));
    }
  } finally {
    await Promise.all(started.map((server) => server.stop()));
    await Promise.all(MODES.map((mode) => local[mode].close()));
  }
  return out as Record<
    'pinned' | 'unpinned',
    {
      direct: SwitchedRow;
      switched: SwitchedRow;
      addedUsPerDoorbell: number;
      addedRatio: Spread;
    }
  >;
}

export type SwitchedRow = {
  roundTrip: { medianUs: number; p99Us: number };
  ringsPerSecond: number;
  wakeupsPerSecond: number;
  forwardedPerSecond?: number;
};
