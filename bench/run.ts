// famez benchmarks: `npm run bench` (full, a few minutes) or `npm run bench -- --quick`.
//   1. doorbell round trip between two famez clients in two processes, pinned
//      to one CPU and unpinned, beside the C floor (bench/eventfd-pingpong.c)
//      and, to show where the difference goes, two Node peers using src/sys
//      only (children/raw-peer) and C making the same system calls as Node;
//   2. one-way doorbell throughput;
//   3. join scaling: N raw peers join a fresh `famez server` one by one;
//   4. idle cost: server CPU time with 100 silent peers.
// Writes bench/results/latest.json and latest.svg (quick.* with --quick or --only)
// and prints a table.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createServer } from '../src/index.js';
import { Router } from '../src/switching/router.js';
import {
  BIN_NODE_FLAGS, compileC, cpuNs, cpuNsByThread, cpuTicks, DIST, fdCount, fdLimits, installCleanup, median, nextMessage, ROOT, rssKiB, sleep, start, startNode,
  stopped, type Message,
} from './lib.js';
import { chart, type LatencyBar, type Series } from './svg.js';
import { messagePath, type MessageResults } from './messages.js';
import { webCost, type WebCostResults } from './web.js';

const SECTIONS = ['latency', 'throughput', 'switched', 'messages', 'web', 'join', 'idle'] as const;
type Section = typeof SECTIONS[number];

const { values: options } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    redraw: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (options.help) {
  process.stdout.write(`Usage: npm run bench [-- --quick] [-- --only ${SECTIONS.join(',')}]
  --quick   fewer rounds, shorter windows, N up to 256 (under a minute); writes bench/results/quick.*
  --only    run only these sections (comma-separated); writes bench/results/quick.*
  --redraw  measure nothing: redraw the chart and table from bench/results/latest.json (quick.json with --quick)
`);
  process.exit(0);
}
const only = new Set((options.only ?? SECTIONS.join(',')).split(',').map((s) => s.trim()) as Section[]);
for (const section of only) {
  if (!SECTIONS.includes(section)) throw new Error(`--only: unknown section "${section}" (${SECTIONS.join(', ')})`);
}
const quick = options.quick;
let full = !quick && options.only === undefined;

const PLAN = quick
  ? { reps: 1, rounds: 5000, warmup: 1000, throughputMs: 1000, floodSeconds: 1, joinPeers: [16, 64, 256], idlePeers: 100, idleSeconds: 2 }
  : { reps: 3, rounds: 20000, warmup: 2000, throughputMs: 3000, floodSeconds: 3, joinPeers: [16, 64, 256, 1000], idlePeers: 100, idleSeconds: 10 };
const JOIN_VECTORS = [1, 8];
const GOALS = { latencyRatio: 1.5, threadRatio: 1.3, switchRatio: 2, switchMessagesPerSecond: 100_000, webClientsRatio: 1.2, joinFlatness: 1.5, idleCpuSeconds: 0 };

const tmp = mkdtempSync(join(tmpdir(), 'famez-bench-'));
installCleanup(() => rmSync(tmp, { recursive: true, force: true }));
const CLI = `${DIST}src/cli/main.js`;
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
const limits = fdLimits();

function log(text: string): void {
  process.stderr.write(`bench: ${text}\n`);
}

// ---- the machine ---------------------------------------------------------

function machine(): Record<string, unknown> {
  const model = /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpus()[0]?.model ?? 'unknown';
  const gcc = (() => {
    try {
      return execFileSync('gcc', ['--version'], { encoding: 'utf8' }).split('\n')[0];
    } catch {
      return undefined;
    }
  })();
  return {
    cpu: model.trim(),
    nproc: Number(execFileSync('nproc', { encoding: 'utf8' }).trim()),
    kernel: release(),
    node: process.version,
    gcc,
    fdLimit: { soft: limits.soft, hard: limits.hard },
    date: new Date().toISOString(),
  };
}

// ---- 1. doorbell round trip ----------------------------------------------

interface Latency {
  medianUs: number;
  p99Us: number;
  minUs: number;
  meanUs: number;
}

/** The C floor; with `epoll`, C making the system calls famez's Node peers make. */
async function floor(binary: string, prefix: string[], epoll = false): Promise<Latency> {
  const argv = [...prefix, binary, String(PLAN.rounds), String(PLAN.warmup), ...(epoll ? ['epoll'] : [])];
  const child = start(argv[0]!, argv.slice(1));
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => { out += chunk.toString(); });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`${argv.join(' ')} exited ${code}`);
  const r = JSON.parse(out) as { median_ns: number; p99_ns: number; min_ns: number; mean_ns: number };
  return { medianUs: r.median_ns / 1e3, p99Us: r.p99_ns / 1e3, minUs: r.min_ns / 1e3, meanUs: r.mean_ns / 1e3 };
}

/** Two famez clients in two processes; a process under `prefix` (taskset) each. */
async function twoClients(socket: string, roles: [string, string], prefix: string[], script = 'doorbell-peer') {
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
async function famezPingPong(socket: string, prefix: string[], script = 'doorbell-peer', threads = false): Promise<Latency> {
  const roles: [string, string] = threads ? ['thread-pong', 'thread-ping'] : ['pong', 'ping'];
  const { first: ponger, firstId: pong, second: ping, secondId, close } = await twoClients(socket, roles, prefix, script);
  try {
    if (threads) ponger.send({ type: 'start', peer: secondId });
    const result = nextMessage<Message & { median: number; p99: number; min: number; mean: number }>(ping, 'result', 120_000);
    ping.send({ type: 'start', peer: pong, rounds: PLAN.rounds, warmup: PLAN.warmup });
    const r = await result;
    return { medianUs: r.median / 1e3, p99Us: r.p99 / 1e3, minUs: r.min / 1e3, meanUs: r.mean / 1e3 };
  } finally {
    await close();
  }
}

const PINNINGS = [
  { name: 'pinned', label: 'both processes on CPU 0 (taskset -c 0)', prefix: ['taskset', '-c', '0'] },
  { name: 'unpinned', label: 'no affinity set', prefix: [] as string[] },
] as const;

async function latency() {
  const binary = compileC('eventfd-pingpong');
  const server = createServer({ socketPath: join(tmp, 'latency.sock'), memory: { kind: 'memfd', size: 65536 }, vectors: 1 });
  await server.listen();
  const out: Record<string, unknown> = { rounds: PLAN.rounds, warmup: PLAN.warmup, reps: PLAN.reps };
  try {
    for (const pinning of PINNINGS) {
      const reps: Array<{ famez: Latency; c: Latency; nodeSys: Latency; cEpoll: Latency; thread: Latency; ratio: number }> = [];
      for (let rep = 0; rep < PLAN.reps; rep++) {
        const c = await floor(binary, [...pinning.prefix]);
        const famez = await famezPingPong(server.socketPath, [...pinning.prefix]);
        const nodeSys = await famezPingPong(server.socketPath, [...pinning.prefix], 'raw-peer');
        const cEpoll = await floor(binary, [...pinning.prefix], true);
        const thread = await famezPingPong(server.socketPath, [...pinning.prefix], 'doorbell-peer', true);
        reps.push({ famez, c, nodeSys, cEpoll, thread, ratio: famez.medianUs / c.medianUs });
        log(`round trip ${pinning.name} #${rep + 1}: famez ${famez.medianUs.toFixed(1)} us, C ${c.medianUs.toFixed(1)} us, ` +
          `Node + src/sys only ${nodeSys.medianUs.toFixed(1)} us, C with epoll ${cEpoll.medianUs.toFixed(1)} us, ` +
          `famez with a worker thread's blocking wait ${thread.medianUs.toFixed(1)} us (median)`);
      }
      const pick = (side: 'famez' | 'c' | 'nodeSys' | 'cEpoll' | 'thread'): Latency => ({
        medianUs: median(reps.map((r) => r[side].medianUs)),
        p99Us: median(reps.map((r) => r[side].p99Us)),
        minUs: Math.min(...reps.map((r) => r[side].minUs)),
        meanUs: median(reps.map((r) => r[side].meanUs)),
      });
      const famez = pick('famez');
      const c = pick('c');
      const nodeSys = pick('nodeSys');
      const cEpoll = pick('cEpoll');
      const thread = pick('thread');
      out[pinning.name] = {
        thread,
        threadRatioMedian: thread.medianUs / c.medianUs,
        affinity: pinning.label,
        famez,
        c,
        nodeSys,
        nodeSysRatioMedian: nodeSys.medianUs / c.medianUs,
        cEpoll,
        cEpollRatioMedian: cEpoll.medianUs / c.medianUs,
        ratioMedian: famez.medianUs / c.medianUs,
        ratioP99: famez.p99Us / c.p99Us,
        reps,
      };
    }
  } finally {
    await server.close();
  }
  return out as { rounds: number; warmup: number; reps: number } &
    Record<'pinned' | 'unpinned', {
    famez: Latency; c: Latency; nodeSys: Latency; nodeSysRatioMedian: number; cEpoll: Latency; cEpollRatioMedian: number;
    thread: Latency; threadRatioMedian: number;
    ratioMedian: number; ratioP99: number;
  }>;
}

// ---- 2. one-way throughput -----------------------------------------------

/** A sender rings a sink as fast as it can for PLAN.throughputMs: what it sent, what the sink saw. */
async function oneWay(socket: string, prefix: string[]) {
  const { first: sink, firstId, second: source, close } = await twoClients(socket, ['sink', 'source'], prefix);
  try {
    const result = nextMessage<Message & { sent: number; seconds: number }>(source, 'result', PLAN.throughputMs + 60_000);
    source.send({ type: 'start', peer: firstId, ms: PLAN.throughputMs });
    const sent = await result;
    await sleep(300);
    const counted = nextMessage<Message & { rings: number; wakeups: number }>(sink, 'counts', 30_000);
    sink.send({ type: 'report' });
    return { sent, seen: await counted };
  } finally {
    await close();
  }
}

async function throughput() {
  const server = createServer({ socketPath: join(tmp, 'throughput.sock'), memory: { kind: 'memfd', size: 65536 }, vectors: 1 });
  await server.listen();
  const out: Record<string, unknown> = { seconds: PLAN.throughputMs / 1000 };
  try {
    for (const pinning of PINNINGS) {
      const { sent, seen } = await oneWay(server.socketPath, [...pinning.prefix]);
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
      log(`throughput ${pinning.name}: ${(seen.rings / sent.seconds / 1e3).toFixed(0)}k rings/s, ${(seen.wakeups / sent.seconds / 1e3).toFixed(1)}k wake-ups/s`);
    }
  } finally {
    await server.close();
  }
  return out as { seconds: number } & Record<'pinned' | 'unpinned', {
    ringsSent: number; ringsSeen: number; ringsPerSecond: number; wakeupsPerSecond: number; ringsPerWakeup: number;
  }>;
}

// ---- 2b. switched doorbells --------------------------------------------------

/** Round trip and one-way rate through a direct and a switched server (a Router with no faults): what switching adds. */
async function switchedCost() {
  const out: Record<string, Record<string, unknown>> = {};
  for (const mode of ['direct', 'switched'] as const) {
    // Unpinned: the server in this process, its Router's counters read here.
    const router = mode === 'switched' ? new Router() : undefined;
    const server = createServer({ socketPath: join(tmp, `${mode}.sock`), memory: { kind: 'memfd', size: 65536 }, vectors: 1, switched: mode === 'switched', forwarding: router });
    await server.listen();
    // On one CPU: `famez server` in a process of its own, on CPU 0 with the two peers.
    const pinnedServer = await famezServer(`${mode}-pinned`, 1, 2, false, { prefix: [...PINNINGS[0].prefix], args: mode === 'switched' ? ['--switched'] : [] });
    try {
      for (const pinning of PINNINGS) {
        const socket = pinning.name === 'pinned' ? pinnedServer.socket : server.socketPath;
        const latencies = [];
        for (let rep = 0; rep < PLAN.reps; rep++) latencies.push(await famezPingPong(socket, [...pinning.prefix]));
        const roundTrip = { medianUs: median(latencies.map((l) => l.medianUs)), p99Us: median(latencies.map((l) => l.p99Us)) };
        const counted = pinning.name === 'unpinned' ? router : undefined;
        const before = counted ? [...counted.counters().values()][0]?.forwarded ?? 0 : 0;
        const { sent, seen } = await oneWay(socket, [...pinning.prefix]);
        const forwarded = counted ? Math.max(...[...counted.counters().values()].map((c) => c.forwarded)) - before : undefined;
        (out[pinning.name] ??= {})[mode] = {
          roundTrip, ringsSent: sent.sent, ringsSeen: seen.rings, ringsPerSecond: seen.rings / sent.seconds,
          wakeupsPerSecond: seen.wakeups / sent.seconds, forwardedPerSecond: forwarded === undefined ? undefined : forwarded / sent.seconds,
        };
        log(`${mode} ${pinning.name}: round trip ${roundTrip.medianUs.toFixed(1)} us (median), ${(seen.rings / sent.seconds / 1e3).toFixed(0)}k rings/s one way`);
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

type SwitchedRow = { roundTrip: { medianUs: number; p99Us: number }; ringsPerSecond: number; wakeupsPerSecond: number; forwardedPerSecond?: number };

// ---- 3. join scaling, 4. idle ----------------------------------------------

/** A prefix raising the soft fd limit when `need` exceeds it (up to the hard limit). */
function fdPrefix(need: number): string[] {
  if (need <= limits.soft) return [];
  const to = Math.min(limits.hard, Math.max(need, 65536));
  return ['prlimit', `--nofile=${to}:${limits.hard === Infinity ? 'unlimited' : limits.hard}`];
}

/** With `traceGc`, the server runs under node --trace-gc and its GC lines are collected (with arrival times). */
async function famezServer(name: string, vectors: number, peers: number, traceGc = false, extra: { prefix?: string[]; args?: string[] } = {}) {
  const socket = join(tmp, `${name}.sock`);
  const pidFile = join(tmp, `${name}.pid`);
  // Sockets + eventfds + copies queued for the newcomer (at most its (N-1)*V) + spare.
  const need = peers * (1 + vectors) + peers * vectors + 64;
  if (need > limits.hard) log(`warning: the server may need ${need} fds, the hard limit is ${limits.hard}`);
  const argv = [...fdPrefix(need), ...(extra.prefix ?? []), process.execPath, ...BIN_NODE_FLAGS, ...(traceGc ? ['--trace-gc'] : []), CLI, 'server', '-S', socket,
    '-m', '/dev/shm', '-l', '64K', '-n', String(vectors), '-p', pidFile, ...(extra.args ?? [])];
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
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`famez server exited (${child.exitCode ?? child.signalCode})`);
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

interface Joined extends Message {
  peers: number;
  vectors: number;
  joinNs: number[];
  joinSeconds: number;
  totalSeconds: number;
  messages: number;
  expected: number;
  lost: number;
}

async function farm(socket: string, vectors: number, peers: number) {
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

interface JoinResult {
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

async function joinOne(vectors: number, peers: number): Promise<JoinResult> {
  const server = await famezServer(`join-${vectors}-${peers}`, vectors, peers);
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
      usPerMessage: r.totalSeconds / r.messages * 1e6,
      serverCpuSeconds: cpu,
      serverCpuUsPerMessage: cpu / r.messages * 1e6,
      farmCpuSeconds: farmCpu,
      farmCpuUsPerMessage: farmCpu / r.messages * 1e6,
      serverRssKiB: rss,
      serverFds: fds,
    };
    log(`join V=${vectors} N=${peers}: ${r.totalSeconds.toFixed(2)} s, ${(result.messagesPerSecond / 1e3).toFixed(0)}k msg/s` +
      `${result.complete ? '' : ` INCOMPLETE (${r.messages}/${r.expected} messages, ${r.lost} peers lost)`}`);
    return result;
  } finally {
    await server.stop();
    await peersFarm.close();
  }
}

async function joinScaling(): Promise<JoinResult[]> {
  const out: JoinResult[] = [];
  for (const vectors of JOIN_VECTORS) for (const peers of PLAN.joinPeers) out.push(await joinOne(vectors, peers));
  return out;
}

async function idle() {
  const server = await famezServer('idle', 1, PLAN.idlePeers, true);
  const peersFarm = await farm(server.socket, 1, PLAN.idlePeers);
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
    for (let s = 0; s < PLAN.idleSeconds; s++) {
      await sleep(1000);
      const now = cpuNs(server.pid);
      perSecondNs.push(now - last);
      last = now;
    }
    const ticks = cpuTicks(server.pid) - before;
    const ns = last - beforeNs;
    const threads = cpuNsByThread(server.pid);
    const byThreadNs = Object.fromEntries(Object.entries(threads)
      .map(([name, value]) => [name, value - (beforeThreads[name] ?? 0)] as const).filter(([, value]) => value > 0));
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    await sleep(100); // let the last trace lines arrive
    const gcs = server.gcs.filter((gc) => gc.at >= windowStart && gc.at <= windowStart + seconds * 1000 + 50)
      .map((gc) => ({ second: Math.floor((gc.at - windowStart) / 1000), gc: gc.line }));
    log(`idle: ${ticks} ticks (${ns} ns) of server CPU in ${seconds.toFixed(1)} s with ${joined.peers} peers; ` +
      `per second ${perSecondNs.map((n) => `${(n / 1e6).toFixed(1)}`).join(' ')} ms; by thread ${JSON.stringify(byThreadNs)}; ` +
      `${gcs.length} GC(s) in the window`);
    return {
      peers: PLAN.idlePeers, seconds, serverCpuTicks: ticks, clockTicksPerSecond: CLK_TCK, serverCpuSeconds: ticks / CLK_TCK,
      serverCpuNsSchedstat: ns, perSecondNs, byThreadNs, gcs,
      note: 'the server runs under node --trace-gc here, so that CPU time spent in V8 garbage collection can be told apart',
    };
  } finally {
    await server.stop();
    await peersFarm.close();
  }
}

// ---- goals, table, chart ---------------------------------------------------

type Results = {
  latency?: Awaited<ReturnType<typeof latency>>;
  throughput?: Awaited<ReturnType<typeof throughput>>;
  switched?: Awaited<ReturnType<typeof switchedCost>>;
  messages?: MessageResults;
  web?: WebCostResults;
  join?: JoinResult[];
  idle?: Awaited<ReturnType<typeof idle>>;
};

function goals(r: Results) {
  const out: Array<{ goal: string; target: string; value: number | null; met: boolean | null; note?: string }> = [];
  if (r.latency) {
    const ratio = r.latency.pinned.ratioMedian;
    out.push({ goal: 'round trip on one CPU: famez median / C floor median', target: `<= ${GOALS.latencyRatio}`,
      value: round(ratio, 3), met: ratio <= GOALS.latencyRatio });
    const thread = r.latency.pinned.threadRatioMedian;
    if (thread !== undefined) {
      out.push({ goal: 'round trip on one CPU, doorbell handed to a worker thread (sys.waitEventfd): median / C floor median',
        target: `<= ${GOALS.threadRatio}`, value: round(thread, 3), met: thread <= GOALS.threadRatio,
        note: `event-loop API ${round(r.latency.pinned.famez.medianUs, 1)} us, worker thread ${round(r.latency.pinned.thread.medianUs, 1)} us, C ${round(r.latency.pinned.c.medianUs, 1)} us` });
    }
  }
  if (r.switched) {
    const s = r.switched.pinned;
    out.push({ goal: 'a switched doorbell adds at most one direct round trip (one CPU): added us / direct round trip us', target: '<= 1',
      value: round(s.addedUsPerDoorbell / s.direct.roundTrip.medianUs, 3), met: s.addedUsPerDoorbell <= s.direct.roundTrip.medianUs,
      note: `added ${round(s.addedUsPerDoorbell, 1)} us per doorbell, direct round trip ${round(s.direct.roundTrip.medianUs, 1)} us` });
  }
  if (r.web) {
    out.push({ goal: `mailbox ping -> pong on one CPU with ${r.web.clients} event-stream clients / without (famez fabric --http, same run)`, target: `<= ${GOALS.webClientsRatio}`,
      value: round(r.web.ratioMedian, 2), met: r.web.ratioMedian <= GOALS.webClientsRatio,
      note: `${r.web.without.medianUs.toFixed(1)} us without, ${r.web.with.medianUs.toFixed(1)} us with: ${r.web.addedUsMedian.toFixed(1)} us added` });
  }
  if (r.messages) {
    const m = r.messages;
    out.push({ goal: 'mailbox ping -> pong on one CPU: famez switch median / C peer median (same run)', target: `<= ${GOALS.switchRatio}`,
      value: round(m.roundTrip.ratioMedian, 3), met: m.roundTrip.ratioMedian <= GOALS.switchRatio,
      note: `switch ${round(m.roundTrip.switch.medianUs, 1)} us (p99 ${round(m.roundTrip.switch.p99Us, 1)}), C ${round(m.roundTrip.floor.medianUs, 1)} us (p99 ${round(m.roundTrip.floor.p99Us, 1)})` });
    const four = m.senders.find((row) => row.senders === 4);
    if (four) {
      out.push({ goal: 'messages/s through the switch from 4 senders', target: `>= ${GOALS.switchMessagesPerSecond}`,
        value: Math.round(four.messagesPerSecond), met: four.messagesPerSecond >= GOALS.switchMessagesPerSecond,
        note: m.senders.map((row) => `${row.senders} sender(s): ${Math.round(row.messagesPerSecond)}/s`).join(', ') });
    }
    out.push({ goal: `idle fabric with ${m.idle.peers} silent peers over ${m.idle.seconds} s: wake-ups of its own`, target: '0',
      value: m.idle.wakeups, met: m.idle.wakeups === 0, note: `${m.idle.cpuNs} ns of CPU; by thread ${JSON.stringify(m.idle.wakeupsByThread)}` });
  }
  if (r.join) {
    for (const vectors of JOIN_VECTORS) {
      const rows = r.join.filter((j) => j.vectors === vectors);
      if (rows.length < 2) continue;
      const complete = rows.every((j) => j.complete);
      const range = `N=${rows[0]!.peers} to N=${rows[rows.length - 1]!.peers}`;
      for (const [what, costs] of [
        ['server CPU per message', rows.map((j) => j.serverCpuUsPerMessage)],
        ['wall time per message, receiving peers included', rows.map((j) => j.usPerMessage)],
      ] as const) {
        const spread = Math.max(...costs) / Math.min(...costs);
        // Which way it is not flat: growth at the largest N over the cheapest N.
        const growth = costs[costs.length - 1]! / Math.min(...costs);
        const notes = [`largest N / cheapest N = ${round(growth, 2)}`, `us per message by N: ${costs.map((c) => round(c, 2)).join(', ')}`];
        if (!complete) notes.push('some runs did not deliver every message');
        out.push({ goal: `join, ${vectors} vector(s): ${what} flat from ${range} (max/min)`,
          target: `<= ${GOALS.joinFlatness}`, value: round(spread, 3), met: spread <= GOALS.joinFlatness && complete,
          note: notes.join('; ') });
      }
    }
  }
  if (r.idle) {
    const busy = r.idle.perSecondNs.filter((ns) => ns > 0).length;
    const notes = [`${r.idle.serverCpuNsSchedstat} ns by schedstat, in ${busy} of ${r.idle.perSecondNs.length} seconds`];
    if (r.idle.gcs.length > 0) notes.push(`V8 GC in the window: ${r.idle.gcs.map((g) => `second ${g.second}: ${g.gc}`).join(' | ')}`);
    out.push({ goal: `idle server CPU with ${r.idle.peers} silent peers over ${round(r.idle.seconds, 1)} s (seconds)`, target: '0',
      value: round(r.idle.serverCpuNsSchedstat / 1e9, 6), met: r.idle.serverCpuNsSchedstat === GOALS.idleCpuSeconds, note: notes.join('; ') });
  }
  return out;
}

function round(value: number, digits: number): number {
  return Number(value.toFixed(digits));
}

function table(headers: string[], rows: Array<Array<string | number>>): string {
  const cells = [headers, ...rows.map((row) => row.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((row) => row[i]!.length)));
  const line = (row: string[]): string => row.map((cell, i) => i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)).join('  ');
  return [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

function report(r: Results, m: Record<string, unknown>, goalList: ReturnType<typeof goals>): string {
  const parts = [`famez bench (${full ? 'full' : quick ? 'quick' : 'partial'}) on ${m.cpu as string}, ${m.nproc as number} CPUs, ` +
    `Linux ${m.kernel as string}, Node ${m.node as string}, ${m.date as string}`];
  if (r.latency) {
    const rows = PINNINGS.flatMap((p) => {
      const l = r.latency![p.name];
      return [
        [`famez ${p.name}`, l.famez.medianUs.toFixed(1), l.famez.p99Us.toFixed(1), l.famez.minUs.toFixed(1), l.ratioMedian.toFixed(2)],
        [`  Node + src/sys only ${p.name}`, l.nodeSys.medianUs.toFixed(1), l.nodeSys.p99Us.toFixed(1), l.nodeSys.minUs.toFixed(1), l.nodeSysRatioMedian.toFixed(2)],
        ...(l.thread ? [[`famez, worker thread wait ${p.name}`, l.thread.medianUs.toFixed(1), l.thread.p99Us.toFixed(1), l.thread.minUs.toFixed(1), l.threadRatioMedian.toFixed(2)]] : []),
        [`  C, same syscalls as Node ${p.name}`, l.cEpoll.medianUs.toFixed(1), l.cEpoll.p99Us.toFixed(1), l.cEpoll.minUs.toFixed(1), l.cEpollRatioMedian.toFixed(2)],
        [`C floor ${p.name}`, l.c.medianUs.toFixed(1), l.c.p99Us.toFixed(1), l.c.minUs.toFixed(1), '1.00'],
      ];
    });
    parts.push(`\nDoorbell round trip (${r.latency.rounds} trips after ${r.latency.warmup} warm-up, median of ${r.latency.reps} runs)\n` +
      table(['', 'median us', 'p99 us', 'min us', 'x C median'], rows));
  }
  if (r.switched) {
      const rows = PINNINGS.flatMap((p) => {
        const s = r.switched![p.name];
        return (['direct', 'switched'] as const).map((mode) => [`${mode} ${p.name}`, s[mode].roundTrip.medianUs.toFixed(1), s[mode].roundTrip.p99Us.toFixed(1),
          Math.round(s[mode].ringsPerSecond), s[mode].forwardedPerSecond === undefined ? '-' : Math.round(s[mode].forwardedPerSecond!),
          mode === 'switched' ? s.addedUsPerDoorbell.toFixed(1) : '']);
      });
      parts.push('\nSwitched doorbells (every doorbell through the server and its Router, no faults)\n' +
        table(['', 'round trip median us', 'p99 us', 'rings/s one way', 'forwarded/s', 'added us per doorbell'], rows));
    }
  if (r.messages) {
    const m = r.messages;
    parts.push(`\nMailbox ping -> pong (${m.roundTrip.affinity}; median of ${m.roundTrip.reps.length} runs)\n` + table(['', 'median us', 'p99 us', 'messages/s', 'x C median'], [
      ['C peer -> famez switch', m.roundTrip.switch.medianUs.toFixed(1), m.roundTrip.switch.p99Us.toFixed(1), Math.round(m.roundTrip.switch.perSecond), m.roundTrip.ratioMedian.toFixed(2)],
      ['C peer -> C peer (floor)', m.roundTrip.floor.medianUs.toFixed(1), m.roundTrip.floor.p99Us.toFixed(1), Math.round(m.roundTrip.floor.perSecond), '1.00'],
    ]));
    parts.push('\nSenders pinging the switch at once (no affinity)\n' + table(['senders', 'messages/s', 'per sender'],
      m.senders.map((row) => [row.senders, Math.round(row.messagesPerSecond), row.perSender.map((x) => Math.round(x)).join(' ')])));
    parts.push(`\nIdle fabric: ${m.idle.peers} silent peers, ${m.idle.seconds} s: ${m.idle.cpuNs} ns of CPU, ${m.idle.wakeups} wake-ups`);
  }
  if (r.web) {
    const w = r.web;
    parts.push(`\nThe web's cost: mailbox ping -> pong (${w.affinity}; median of ${w.reps.length} runs)\n` + table(['event-stream clients', 'median us', 'p99 us', 'messages/s', 'x without'], [
      [0, w.without.medianUs.toFixed(1), w.without.p99Us.toFixed(1), Math.round(w.without.perSecond), '1.00'],
      [w.clients, w.with.medianUs.toFixed(1), w.with.p99Us.toFixed(1), Math.round(w.with.perSecond), w.ratioMedian.toFixed(2)],
    ]));
  }
  if (r.throughput) {
    parts.push(`\nOne-way doorbell throughput (${r.throughput.seconds} s)\n` + table(['', 'rings/s seen', 'wake-ups/s', 'rings/wake-up', 'sent = seen'],
      PINNINGS.map((p) => {
        const t = r.throughput![p.name];
        return [p.name, Math.round(t.ringsPerSecond), Math.round(t.wakeupsPerSecond), t.ringsPerWakeup.toFixed(1), String(t.ringsSent === t.ringsSeen)];
      })));
  }
  if (r.join) {
    parts.push('\nJoin scaling (peers join one by one; totals include delivering every announcement)\n' + table(
      ['V', 'N', 'total s', 'ms/join', 'ms/join last10%', 'messages', 'msg/s', 'us/msg', 'server CPU us/msg', 'peers CPU us/msg', 'server RSS MiB', 'server fds', 'complete'],
      r.join.map((j) => [j.vectors, j.peers, j.totalSeconds.toFixed(3), (j.secondsPerJoinMean * 1e3).toFixed(3),
        (j.secondsPerJoinLast10 * 1e3).toFixed(3), j.messages, Math.round(j.messagesPerSecond), j.usPerMessage.toFixed(2),
        j.serverCpuUsPerMessage.toFixed(2), j.farmCpuUsPerMessage.toFixed(2), (j.serverRssKiB / 1024).toFixed(1), j.serverFds, String(j.complete)])));
  }
  if (r.idle) {
    parts.push(`\nIdle: server CPU ${r.idle.serverCpuSeconds} s (${r.idle.serverCpuTicks} clock ticks; ${r.idle.serverCpuNsSchedstat} ns by schedstat) over ${r.idle.seconds.toFixed(1)} s with ${r.idle.peers} silent peers`);
  }
  if (goalList.length > 0) {
    parts.push('\nGoals\n' + table(['goal', 'target', 'value', 'met'], goalList.map((g) => [g.goal, g.target, String(g.value), g.met ? 'yes' : 'NO'])));
    for (const g of goalList) if (g.note) parts.push(`  ${g.goal}: ${g.note}`);
  }
  return parts.join('\n') + '\n';
}

function svg(r: Results, m: Record<string, unknown>): string {
  const colors: Record<number, string> = { 1: '#1f77b4', 8: '#d62728' };
  const perJoin: Series[] = [];
  const messageRate: Series[] = [];
  for (const vectors of JOIN_VECTORS) {
    const rows = (r.join ?? []).filter((j) => j.vectors === vectors);
    if (rows.length === 0) continue;
    perJoin.push({ label: `${vectors} vector${vectors > 1 ? 's' : ''}: mean`, color: colors[vectors]!, points: rows.map((j) => [j.peers, j.secondsPerJoinMean * 1e3]) },
      { label: `${vectors} vector${vectors > 1 ? 's' : ''}: last 10% of joins`, color: colors[vectors]!, dashed: true, points: rows.map((j) => [j.peers, j.secondsPerJoinLast10 * 1e3]) });
    messageRate.push({ label: `${vectors} vector${vectors > 1 ? 's' : ''}`, color: colors[vectors]!, points: rows.map((j) => [j.peers, j.messagesPerSecond]) });
  }
  const bars: LatencyBar[] = [];
  if (r.latency) {
    for (const p of PINNINGS) {
      const l = r.latency[p.name];
      const group = `${p.name === 'pinned' ? '1 CPU' : 'free'} ${l.ratioMedian.toFixed(2)}x`;
      bars.push({ group, label: 'famez', color: '#2ca02c', median: l.famez.medianUs, p99: l.famez.p99Us },
        { group, label: 'sys', color: '#9467bd', median: l.nodeSys.medianUs, p99: l.nodeSys.p99Us },
        { group, label: 'epoll', color: '#bcbd22', median: l.cEpoll.medianUs, p99: l.cEpoll.p99Us },
        { group, label: 'C', color: '#7f7f7f', median: l.c.medianUs, p99: l.c.p99Us });
      if (p.name === 'pinned' && l.thread) bars.push({ group, label: 'thr', color: '#17becf', median: l.thread.medianUs, p99: l.thread.p99Us });
    }
  }
  if (r.messages) {
    const m = r.messages.roundTrip;
    const group = `mailbox ${m.ratioMedian.toFixed(2)}x`;
    bars.push({ group, label: 'switch', color: '#ff7f0e', median: m.switch.medianUs, p99: m.switch.p99Us },
      { group, label: 'C', color: '#7f7f7f', median: m.floor.medianUs, p99: m.floor.p99Us });
  }
  return chart({
    title: 'famez benchmarks',
    subtitle: `${m.cpu as string}, ${m.nproc as number} CPUs, Linux ${m.kernel as string}, Node ${m.node as string}, ${(m.date as string).slice(0, 10)}` +
      (full ? '' : ' (quick/partial run)'),
    perJoin,
    messageRate,
    latency: bars,
    latencyNote: 'famez, src/sys, C epoll, C, thread; mailbox: switch, C',
  });
}

// ---- main ----------------------------------------------------------------

const outDir = join(ROOT, 'bench/results');
if (options.redraw) {
  const base = join(outDir, quick ? 'quick' : 'latest');
  const saved = JSON.parse(readFileSync(`${base}.json`, "utf8")) as Results & { machine: Record<string, unknown>; mode: string };
  full = saved.mode === 'full';
  writeFileSync(`${base}.svg`, svg(saved, saved.machine));
  process.stdout.write(report(saved, saved.machine, goals(saved)));
  process.stdout.write(`\nredrew ${base}.svg from ${base}.json\n`);
  process.exit(0);
}
const m = machine();
const results: Results = {};
const began = Date.now();
if (only.has('latency')) results.latency = await latency();
if (only.has('throughput')) results.throughput = await throughput();
if (only.has('switched')) results.switched = await switchedCost();
if (only.has('messages')) results.messages = await messagePath(tmp, PLAN, log);
if (only.has('web')) results.web = await webCost(tmp, PLAN, log);
if (only.has('join')) results.join = await joinScaling();
if (only.has('idle')) results.idle = await idle();
const goalList = goals(results);
mkdirSync(outDir, { recursive: true });
const base = join(outDir, full ? 'latest' : 'quick');
writeFileSync(`${base}.json`, JSON.stringify({
  mode: full ? 'full' : quick ? 'quick' : 'partial',
  machine: m,
  plan: PLAN,
  durationSeconds: (Date.now() - began) / 1000,
  goals: goalList,
  ...results,
}, null, 2) + '\n');
writeFileSync(`${base}.svg`, svg(results, m));
process.stdout.write(report(results, m, goalList));
process.stdout.write(`\nwrote ${base}.json and ${base}.svg in ${((Date.now() - began) / 1000).toFixed(0)} s\n`);
