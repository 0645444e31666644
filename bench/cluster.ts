// One fabric over NATS on loopback, as users deploy it: each host's `famez
// fabric --cluster` its own process, C mailbox peers (bench/mailbox-peer.c)
// and famez's own FabricPeer (this process) as senders, and NATS's own
// request-reply between two processes as the floor, in alternating rounds.
// Each round also times a C eventfd ping-pong between two unpinned processes:
// what the four process wake-ups famez's path has beyond the floor's cost on
// this machine, whatever famez does between them.
import type { ChildProcess } from 'node:child_process';
import { connectFabric, type FabricPeer } from '../src/fabric/index.js';
import { NatsServer } from '../test/cluster/nats-server.js';
import { eventfdRoundTrip } from './latency.js';
import { DIST, compileC, formatSpread, median, spread, start, stopped, type Spread } from './lib.js';
import { compile, cPeer, fabric, floodRun, line, pingRun, type SwitchProcess } from './mailbox-run.js';
import type { BenchContext } from './plan.js';

export interface ClusterResults {
  rounds: number;
  reps: number;
  /** NATS request-reply between two processes (the floor) and a C peer's ping -> pong across hosts, median us. */
  natsRequestReplyUs: number;
  crossHostPingUs: number;
  /** Per round: cross-host ping median / NATS request-reply median (goal: <= 1.3). */
  ratio: Spread;
  /** A C eventfd ping-pong between two unpinned processes (two wake-ups, as on the path), median us. */
  wakeUpRoundTripUs: number;
  /**
   * Per round: (NATS request-reply + two such ping-pongs) / NATS request-reply: the ratio if famez's own work took
   * no time, since its path has four process wake-ups more than the floor's (two C peers, a second turn of each
   * fabric).
   */
  wakeUpBound: Spread;
  /**
   * Round trips a second across hosts from one sender: a C peer, famez's FabricPeer, and four C peers at once
   * (medians).
   */
  cSenderPerSecond: number;
  fabricPeerPerSecond: number;
  fourSendersPerSecond: number;
  /** Per round (the three measured in turn, the order alternating): FabricPeer / C sender (goal: >= 0.8). */
  fabricPeerVsC: Spread;
  /** Per round: four C senders / one (goal: >= 3). */
  fourVsOne: Spread;
}

/** NATS request-reply round trips from this process to an echo process, median us. */
async function natsFloor(
  url: string,
  rounds: number,
): Promise<{ once: () => Promise<number>; close: () => Promise<void> }> {
  const { connect } = await import('@nats-io/transport-node');
  const echo = start(process.execPath, [`${DIST}bench/children/nats-echo.js`, url]);
  await line(echo, /^ready/);
  const client = await connect({ servers: url });
  const payload = new TextEncoder().encode('ping !EZT=1');
  return {
    once: async () => {
      const samples: number[] = [];
      for (let i = 0; i < rounds + 200; i++) {
        const began = process.hrtime.bigint();
        await client.request('famez.bench.echo', payload, { timeout: 5000 });
        if (i >= 200) samples.push(Number(process.hrtime.bigint() - began) / 1000);
      }
      return median(samples);
    },
    close: async () => {
      await client.close();
      echo.kill('SIGTERM');
      await stopped(echo);
    },
  };
}

/** Ping -> pong round trips a second from a FabricPeer in this process to `to`, for `seconds`. */
async function fabricPeerRate(peer: FabricPeer, to: number, seconds: number): Promise<number> {
  let waiting: (() => void) | undefined;
  const pong = (message: { from: number; body: string }): void => {
    if (message.from === to && message.body === 'pong') waiting?.();
  };
  peer.on('message', pong);
  let done = 0;
  const until = performance.now() + seconds * 1000;
  try {
    while (performance.now() < until) {
      await new Promise<void>((resolve, reject) => {
        waiting = resolve;
        peer.send(to, 'ping').catch(reject);
      });
      done++;
    }
  } finally {
    peer.off('message', pong);
  }
  return done / seconds;
}

/** Round trips a second of C senders on host a, each to its own C ponger on host b, all at once. */
async function cRate(binary: string, a: SwitchProcess, targets: number[], seconds: number): Promise<number> {
  const runs = targets.map((target) => floodRun(binary, a.socket, target, seconds));
  return (await Promise.all(runs)).reduce((sum, r) => sum + r.messages / r.seconds, 0);
}

export async function clusterBench(ctx: BenchContext): Promise<ClusterResults> {
  const rounds = Math.max(500, Math.floor(ctx.plan.rounds / 20));
  const binary = compile();
  const pingPong = compileC('eventfd-pingpong');
  const nats = await NatsServer.launch();
  const cluster = (node: string): string[] => ['--cluster', nats.url, '--cluster-name', 'bench', '--node', node];
  const hosts: SwitchProcess[] = [];
  const children: ChildProcess[] = [];
  let peer: FabricPeer | undefined;
  try {
    hosts.push(await fabric(ctx.tmp, 'a', [], cluster('a'), /node a of cluster bench/));
    hosts.push(await fabric(ctx.tmp, 'b', [], cluster('b'), /node b of cluster bench/));
    const [a, b] = hosts as [SwitchProcess, SwitchProcess];
    const pongers = [];
    for (let i = 0; i < 4; i++) pongers.push(await cPeer(binary, b.socket));
    children.push(...pongers.map((p) => p.child));
    const targets = pongers.map((p) => p.id);
    peer = await connectFabric({ path: a.socket });
    while (!targets.every((id) => peer!.client.peers.has(id))) await new Promise((resolve) => setTimeout(resolve, 20));
    ctx.log(
      `cluster: NATS request-reply and a C peer's cross-host ping -> pong, ${ctx.plan.reps} alternating rounds of ${rounds}`,
    );
    const floor = await natsFloor(nats.url, rounds);
    const floors: number[] = [];
    const crosses: number[] = [];
    const ratios: number[] = [];
    const wakeUps: number[] = [];
    const bounds: number[] = [];
    const plan = { ...ctx.plan, rounds, warmup: 200 };
    try {
      for (let rep = 0; rep < ctx.plan.reps; rep++) {
        const ping = async (): Promise<number> => (await pingRun(binary, a.socket, targets[0]!, plan)).medianUs;
        const [x, y] = rep % 2 === 0 ? [await floor.once(), await ping()] : [await ping(), await floor.once()];
        const [f, c] = rep % 2 === 0 ? [x, y] : [y, x];
        floors.push(f);
        crosses.push(c);
        ratios.push(c / f);
        const wakeUp = (await eventfdRoundTrip(ctx, pingPong, [])).medianUs;
        wakeUps.push(wakeUp);
        bounds.push((f + 2 * wakeUp) / f);
      }
    } finally {
      await floor.close();
    }
    const seconds = ctx.plan.floodSeconds;
    ctx.log(
      `cluster: round trips a second across hosts, ${ctx.plan.reps} alternating rounds: one C sender, a FabricPeer, ` +
        'four C senders at once',
    );
    const rates = { c: [] as number[], peer: [] as number[], four: [] as number[] };
    const vsC: number[] = [];
    const fourVsOne: number[] = [];
    const measure = {
      c: () => cRate(binary, a, targets.slice(0, 1), seconds),
      peer: () => fabricPeerRate(peer!, targets[0]!, seconds),
      four: () => cRate(binary, a, targets, seconds),
    };
    for (let rep = 0; rep < ctx.plan.reps; rep++) {
      const order = (rep % 2 === 0 ? ['c', 'peer', 'four'] : ['four', 'peer', 'c']) as (keyof typeof measure)[];
      const round = { c: 0, peer: 0, four: 0 };
      for (const side of order) round[side] = await measure[side]();
      for (const side of order) rates[side].push(round[side]);
      vsC.push(round.peer / round.c);
      fourVsOne.push(round.four / round.c);
    }
    const results: ClusterResults = {
      rounds,
      reps: ctx.plan.reps,
      natsRequestReplyUs: median(floors),
      crossHostPingUs: median(crosses),
      ratio: spread(ratios),
      wakeUpRoundTripUs: median(wakeUps),
      wakeUpBound: spread(bounds),
      cSenderPerSecond: median(rates.c),
      fabricPeerPerSecond: median(rates.peer),
      fourSendersPerSecond: median(rates.four),
      fabricPeerVsC: spread(vsC),
      fourVsOne: spread(fourVsOne),
    };
    ctx.log(
      [
        'cluster over NATS on loopback, each host its own process:',
        `  NATS request-reply (floor) ${results.natsRequestReplyUs.toFixed(1)} us; cross-host ping -> pong ${results.crossHostPingUs.toFixed(1)} us`,
        `  cross-host / NATS, per round ${formatSpread(results.ratio)} (goal <= 1.3)`,
        `  C eventfd ping-pong, two processes unpinned ${results.wakeUpRoundTripUs.toFixed(1)} us; ` +
          `NATS + four such wake-ups / NATS ${formatSpread(results.wakeUpBound)}`,
        `  round trips/s: C sender ${Math.round(results.cSenderPerSecond)}, FabricPeer ${Math.round(results.fabricPeerPerSecond)}, ` +
          `four C senders ${Math.round(results.fourSendersPerSecond)} (medians)`,
        `  FabricPeer / C sender, per round ${formatSpread(results.fabricPeerVsC)} (goal >= 0.8); ` +
          `four senders / one ${formatSpread(results.fourVsOne)} (goal >= 3)`,
      ].join('\n'),
    );
    return results;
  } finally {
    peer?.close();
    for (const child of children) child.kill('SIGKILL');
    for (const host of hosts) await host.stop();
    await nats.remove();
  }
}
