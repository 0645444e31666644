// 3. Join scaling: N raw peers join a fresh `famez server` one by one.
import { cpuNs, fdCount, rssKiB } from './lib.js';
import { JOIN_VECTORS, type BenchContext } from './plan.js';
import { famezServer, farm } from './server-process.js';

export interface JoinResult {
  vectors: number;
  peers: number;
  totalSeconds: number;
  secondsPerJoinMean: number;
  secondsPerJoinLast10: number;
  messages: number;
  expectedMessages: number;
  complete: boolean;
  peersLost: number;
  messagesPerSecond: number;
  usPerMessage: number;
  serverCpuSeconds: number;
  serverCpuUsPerMessage: number;
  /** The receiving peers' process. */
  farmCpuSeconds: number;
  farmCpuUsPerMessage: number;
  serverRssKiB: number;
  serverFds: number;
}

async function joinOne(ctx: BenchContext, vectors: number, peers: number): Promise<JoinResult> {
  const server = await famezServer(ctx, `join-${vectors}-${peers}`, vectors, peers);
  const peersFarm = await farm(server.socket, vectors, peers);
  try {
    const before = cpuNs(server.pid);
    const farmBefore = cpuNs(peersFarm.child.pid!);
    const r = await peersFarm.joined();
    const cpu = (cpuNs(server.pid) - before) / 1e9;
    const farmCpu = (cpuNs(peersFarm.child.pid!) - farmBefore) / 1e9;
    const rss = rssKiB(server.pid);
    const fds = fdCount(server.pid);
    const last = r.joinNs.slice(Math.floor(r.joinNs.length * 0.9));
    const result: JoinResult = {
      vectors,
      peers,
      totalSeconds: r.totalSeconds,
      secondsPerJoinMean: r.joinNs.reduce((a, b) => a + b, 0) / r.joinNs.length / 1e9,
      secondsPerJoinLast10: last.reduce((a, b) => a + b, 0) / last.length / 1e9,
      messages: r.messages,
      expectedMessages: r.expected,
      complete: r.messages === r.expected && r.lost === 0,
      peersLost: r.lost,
      messagesPerSecond: r.messages / r.totalSeconds,
      usPerMessage: (r.totalSeconds / r.messages) * 1e6,
      serverCpuSeconds: cpu,
      serverCpuUsPerMessage: (cpu / r.messages) * 1e6,
      farmCpuSeconds: farmCpu,
      farmCpuUsPerMessage: (farmCpu / r.messages) * 1e6,
      serverRssKiB: rss,
      serverFds: fds,
    };
    ctx.log(
      `join V=${vectors} N=${peers}: ${r.totalSeconds.toFixed(2)} s, ${(result.messagesPerSecond / 1e3).toFixed(0)}k msg/s` +
        `${result.complete ? '' : ` INCOMPLETE (${r.messages}/${r.expected} messages, ${r.lost} peers lost)`}`,
    );
    return result;
  } finally {
    await server.stop();
    await peersFarm.close();
  }
}

export async function joinScaling(ctx: BenchContext): Promise<JoinResult[]> {
  const out: JoinResult[] = [];
  for (const vectors of JOIN_VECTORS)
    for (const peers of ctx.plan.joinPeers) out.push(await joinOne(ctx, vectors, peers));
  return out;
}
