// One fabric over NATS on loopback (issue 24): a FAME-Z ping -> pong between
// peers of two `famez fabric --cluster` instances, beside NATS's own
// request-reply round trip with the same client in the same run (the floor),
// and beside the same peer's ping to its own host's switch; and messages/s
// across hosts. Everything runs in this process against a real nats-server.
import { join } from 'node:path';
import { connectFabric, type FabricPeer } from '../src/fabric/index.js';
import { listenClusteredFabric, type ClusteredFabric } from '../src/cluster/index.js';
import { NatsServer } from '../test/cluster/nats-server.js';
import { formatSpread, median, spread, summarize, type Spread } from './lib.js';
import type { BenchContext } from './plan.js';

export interface ClusterRoundTrip {
  medianUs: number;
  p99Us: number;
}

export interface ClusterResults {
  /** Round trips of each kind per round. */
  rounds: number;
  reps: number;
  natsRequestReply: ClusterRoundTrip;
  crossHostPing: ClusterRoundTrip;
  localSwitchPing: ClusterRoundTrip;
  /** Per round: crossHostPing median / natsRequestReply median (goal: <= 1.3). */
  ratio: Spread;
  ratioMedian: number;
  crossHostMessagesPerSecond: number;
}

function roundTrip(samplesNs: number[]): ClusterRoundTrip {
  const s = summarize(samplesNs.map((ns) => ns / 1000));
  return { medianUs: s.median, p99Us: s.p99 };
}

/** Round trips of `once`, after a warm-up, in ns. */
async function measure(rounds: number, once: () => Promise<void>): Promise<number[]> {
  for (let i = 0; i < Math.min(200, rounds); i++) await once();
  const samples: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const began = process.hrtime.bigint();
    await once();
    samples.push(Number(process.hrtime.bigint() - began));
  }
  return samples;
}

/** Sends ping to `to` and resolves on its pong. */
function pinger(peer: FabricPeer, to: number): () => Promise<void> {
  let waiting: (() => void) | undefined;
  peer.on('message', (message) => {
    if (message.from === to && message.body === 'pong') waiting?.();
  });
  return () =>
    new Promise<void>((resolve, reject) => {
      waiting = resolve;
      peer.send(to, 'ping').catch(reject);
    });
}

/** NATS's own request-reply between two clients: the floor. */
async function natsEcho(url: string): Promise<{ once: () => Promise<void>; close: () => Promise<void> }> {
  const { connect } = await import('@nats-io/transport-node');
  const [client, echo] = [await connect({ servers: url }), await connect({ servers: url })];
  echo.subscribe('famez.bench.echo', {
    callback: (_error, msg) => {
      msg.respond(msg.data);
    },
  });
  await echo.flush();
  const payload = new TextEncoder().encode('ping !EZT=1');
  return {
    once: async () => {
      await client.request('famez.bench.echo', payload, { timeout: 5000 });
    },
    close: async () => {
      await client.close();
      await echo.close();
    },
  };
}

export async function clusterBench(ctx: BenchContext): Promise<ClusterResults> {
  const rounds = Math.max(500, Math.floor(ctx.plan.rounds / 20));
  const nats = await NatsServer.launch();
  const hosts: ClusteredFabric[] = [];
  const peers: FabricPeer[] = [];
  try {
    for (const node of ['bench1', 'bench2']) {
      hosts.push(
        await listenClusteredFabric(
          { socketPath: join(ctx.tmp, `${node}.sock`), mailbox: join(ctx.tmp, `${node}.mailbox`) },
          { url: nats.url, name: 'bench', node },
        ),
      );
      peers.push(await connectFabric({ path: hosts.at(-1)!.fabric.socketPath }));
    }
    const [one, two] = peers as [FabricPeer, FabricPeer];
    while (!one.client.peers.has(two.id)) await new Promise((resolve) => setTimeout(resolve, 20));
    // Alternating rounds (which goes first alternates too): the ratio is the median of per-round ratios.
    ctx.log(
      `cluster: NATS request-reply and cross-host ping -> pong, ${ctx.plan.reps} alternating rounds of ${rounds}`,
    );
    const echo = await natsEcho(nats.url);
    const ping = pinger(one, two.id);
    const floorSamples: number[] = [];
    const crossSamples: number[] = [];
    const ratios: number[] = [];
    try {
      for (let rep = 0; rep < ctx.plan.reps; rep++) {
        const pair = rep % 2 === 0 ? [echo.once, ping] : [ping, echo.once];
        const [first, second] = [await measure(rounds, pair[0]!), await measure(rounds, pair[1]!)];
        const [floorRound, crossRound] = rep % 2 === 0 ? [first, second] : [second, first];
        floorSamples.push(...floorRound);
        crossSamples.push(...crossRound);
        ratios.push(median(crossRound) / median(floorRound));
      }
    } finally {
      await echo.close();
    }
    const floor = roundTrip(floorSamples);
    const cross = roundTrip(crossSamples);
    const ratio = spread(ratios);
    ctx.log('cluster: ping -> pong with the local switch');
    const local = roundTrip(await measure(rounds, pinger(one, hosts[0]!.fabric.layout.serverId)));
    let sent = 0;
    const until = performance.now() + ctx.plan.floodSeconds * 1000;
    while (performance.now() < until) {
      await one.send(two.id, `n=${sent}`);
      sent++;
    }
    const results: ClusterResults = {
      rounds,
      reps: ctx.plan.reps,
      natsRequestReply: floor,
      crossHostPing: cross,
      localSwitchPing: local,
      ratio,
      ratioMedian: ratio.median,
      crossHostMessagesPerSecond: sent / ctx.plan.floodSeconds,
    };
    const row = (name: string, r: ClusterRoundTrip): string =>
      `  ${name.padEnd(38)} ${r.medianUs.toFixed(1).padStart(9)} ${r.p99Us.toFixed(1).padStart(9)}`;
    ctx.log(
      [
        'cluster over NATS on loopback (median us, p99 us):',
        row('NATS request-reply (floor)', floor),
        row('cross-host ping -> pong', cross),
        row('ping -> pong with the local switch', local),
        `  cross-host / NATS, per round ${formatSpread(ratio)} (goal <= 1.3); ` +
          `${Math.round(results.crossHostMessagesPerSecond)} messages/s across hosts from one sender`,
      ].join('\n'),
    );
    return results;
  } finally {
    peers.forEach((peer) => peer.close());
    for (const host of hosts) await host.close();
    await nats.remove();
  }
}
