// 2b. Switched doorbells: round trip and one-way rate through a direct and a
// switched server, what switching adds.
import { join } from 'node:path';
import { createServer } from '../src/index.js';
import { Router } from '../src/switching/router.js';
import { median } from './lib.js';
import { famezPingPong } from './latency.js';
import { PINNINGS, type BenchContext } from './plan.js';
import { famezServer } from './server-process.js';
import { oneWay } from './throughput.js';

/** Round trip and one-way rate through a direct and a switched server (a Router with no faults): what switching adds. */
export async function switchedCost(ctx: BenchContext) {
  const out: Record<string, Record<string, unknown>> = {};
  for (const mode of ['direct', 'switched'] as const) {
    // Unpinned: the server in this process, its Router's counters read here.
    const router = mode === 'switched' ? new Router() : undefined;
    const server = createServer({ socketPath: join(ctx.tmp, `${mode}.sock`), memory: { kind: 'memfd', size: 65536 }, vectors: 1, switched: mode === 'switched', forwarding: router });
    await server.listen();
    // On one CPU: `famez server` in a process of its own, on CPU 0 with the two peers.
    const pinnedServer = await famezServer(ctx, `${mode}-pinned`, 1, 2, false, { prefix: [...PINNINGS[0].prefix], args: mode === 'switched' ? ['--switched'] : [] });
    try {
      for (const pinning of PINNINGS) {
        const socket = pinning.name === 'pinned' ? pinnedServer.socket : server.socketPath;
        const latencies = [];
        for (let rep = 0; rep < ctx.plan.reps; rep++) latencies.push(await famezPingPong(ctx, socket, [...pinning.prefix]));
        const roundTrip = { medianUs: median(latencies.map((l) => l.medianUs)), p99Us: median(latencies.map((l) => l.p99Us)) };
        const counted = pinning.name === 'unpinned' ? router : undefined;
        const before = new Map([...counted?.counters() ?? []].map(([link, c]) => [link, c.forwarded]));
        const { sent, seen } = await oneWay(ctx, socket, [...pinning.prefix]);
        // The same measure on both sides: each link's own growth during the flood (the round trips before it crossed
        // these links too), the most any link grew: the flood's one-way doorbells all cross the sender's link.
        const forwarded = counted ? Math.max(0, ...[...counted.counters()].map(([link, c]) => c.forwarded - (before.get(link) ?? 0))) : undefined;
        (out[pinning.name] ??= {})[mode] = {
          roundTrip, ringsSent: sent.sent, ringsSeen: seen.rings, ringsPerSecond: seen.rings / sent.seconds,
          wakeupsPerSecond: seen.wakeups / sent.seconds, forwardedPerSecond: forwarded === undefined ? undefined : forwarded / sent.seconds,
        };
        ctx.log(`${mode} ${pinning.name}: round trip ${roundTrip.medianUs.toFixed(1)} us (median), ${(seen.rings / sent.seconds / 1e3).toFixed(0)}k rings/s one way`);
      }
    } finally {
      await pinnedServer.stop();
      await server.close();
    }
  }
  for (const pinning of PINNINGS) {
    const row = out[pinning.name] as Record<'direct' | 'switched', { roundTrip: { medianUs: number } }>;
    // A round trip crosses the switch twice.
    out[pinning.name]!.addedUsPerDoorbell = (row.switched.roundTrip.medianUs - row.direct.roundTrip.medianUs) / 2;
  }
  return out as Record<'pinned' | 'unpinned', {
    direct: SwitchedRow; switched: SwitchedRow; addedUsPerDoorbell: number;
  }>;
}

export type SwitchedRow = { roundTrip: { medianUs: number; p99Us: number }; ringsPerSecond: number; wakeupsPerSecond: number; forwardedPerSecond?: number };
