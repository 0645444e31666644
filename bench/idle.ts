// 4. Idle cost: server CPU time with 100 silent peers.
import { execFileSync } from 'node:child_process';
import { cpuNs, cpuNsByThread, cpuTicks, sleep } from './lib.js';
import type { BenchContext } from './plan.js';
import { famezServer, farm } from './server-process.js';

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

export async function idle(ctx: BenchContext) {
  const server = await famezServer(ctx, 'idle', 1, ctx.plan.idlePeers, true);
  const peersFarm = await farm(server.socket, 1, ctx.plan.idlePeers);
  try {
    const joined = await peersFarm.joined();
    await sleep(500);
    const before = cpuTicks(server.pid);
    const beforeNs = cpuNs(server.pid);
    const beforeThreads = cpuNsByThread(server.pid);
    const t0 = process.hrtime.bigint();
    const windowStart = Date.now();
    // One reading per second, to tell a one-off (a late GC) from a steady cost.
    const perSecondNs: number[] = [];
    let last = beforeNs;
    for (let s = 0; s < ctx.plan.idleSeconds; s++) {
      await sleep(1000);
      const now = cpuNs(server.pid);
      perSecondNs.push(now - last);
      last = now;
    }
    const ticks = cpuTicks(server.pid) - before;
    const ns = last - beforeNs;
    const threads = cpuNsByThread(server.pid);
    const byThreadNs = Object.fromEntries(
      Object.entries(threads)
        .map(([name, value]) => [name, value - (beforeThreads[name] ?? 0)] as const)
        .filter(([, value]) => value > 0),
    );
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    await sleep(100); // let the last trace lines arrive
    const gcs = server.gcs
      .filter((gc) => gc.at >= windowStart && gc.at <= windowStart + seconds * 1000 + 50)
      .map((gc) => ({ second: Math.floor((gc.at - windowStart) / 1000), gc: gc.line }));
    ctx.log(
      `idle: ${ticks} ticks (${ns} ns) of server CPU in ${seconds.toFixed(1)} s with ${joined.peers} peers; ` +
        `per second ${perSecondNs.map((n) => `${(n / 1e6).toFixed(1)}`).join(' ')} ms; by thread ${JSON.stringify(byThreadNs)}; ` +
        `${gcs.length} GC(s) in the window`,
    );
    return {
      peers: ctx.plan.idlePeers,
      seconds,
      serverCpuTicks: ticks,
      clockTicksPerSecond: CLK_TCK,
      serverCpuSeconds: ticks / CLK_TCK,
      serverCpuNsSchedstat: ns,
      perSecondNs,
      byThreadNs,
      gcs,
      note: 'the server runs under node --trace-gc here, so that CPU time spent in V8 garbage collection can be told apart',
    };
  } finally {
    await server.stop();
    await peersFarm.close();
  }
}
