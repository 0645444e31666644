// The message path of `famez fabric` (issue: the switch near the C floor):
//   - mailbox ping -> pong round trips of a C peer (bench/mailbox-peer.c) with the
//     famez switch, beside the same C peer with a C peer answering through the
//     mailbox (the floor), all on CPU 0, in the same run;
//   - messages/s through the switch with 1, 4 and 14 C peers pinging at once;
//   - the idle fabric with 14 silent peers: its CPU time and wake-ups.
import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN_NODE_FLAGS, compileC, cpuNs, DIST, median, sleep, start, stopped } from './lib.js';

export interface MessagePlan {
  reps: number;
  rounds: number;
  warmup: number;
  floodSeconds: number;
  idleSeconds: number;
}

export interface RoundTrip {
  medianUs: number;
  p99Us: number;
  perSecond: number;
}

export interface MessageResults {
  roundTrip: { affinity: string; switch: RoundTrip; floor: RoundTrip; ratioMedian: number; reps: Array<{ switch: RoundTrip; floor: RoundTrip }> };
  senders: Array<{ senders: number; messagesPerSecond: number; perSender: number[] }>;
  idle: { peers: number; seconds: number; cpuNs: number; wakeups: number; wakeupsByThread: Record<string, number> };
}

export const PIN = ['taskset', '-c', '0'];

/** The C mailbox peer (bench/mailbox-peer.c), compiled. */
export function compile(): string {
  return compileC('mailbox-peer');
}

/** Resolves with the first stdout line matching `pattern`; rejects if the child exits first. */
function line(child: ChildProcess, pattern: RegExp, timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const done = (error?: Error, found?: string): void => {
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve(found!);
    };
    const onData = (chunk: Buffer): void => {
      text += chunk.toString();
      const found = text.split('\n').find((l) => pattern.test(l));
      if (found !== undefined) done(undefined, found);
    };
    const onExit = (code: number | null): void => done(new Error(`${child.spawnargs.join(' ')} exited (${code}) before ${pattern}; it said: ${text}`));
    const timer = setTimeout(() => done(new Error(`no ${pattern} from ${child.spawnargs.join(' ')} within ${timeoutMs} ms`)), timeoutMs);
    child.stdout!.on('data', onData);
    child.on('exit', onExit);
  });
}

/** `famez fabric` in its own process (behind `prefix`, with `extra` options), once it logs `ready` (default: listening). */
export async function fabric(tmp: string, name: string, prefix: string[] = [], extra: string[] = [], ready = /listening on /):
  Promise<{ socket: string; pid: number; said: string; stop(): Promise<void> }> {
  const socket = join(tmp, `${name}.sock`);
  const argv = [...prefix, process.execPath, ...BIN_NODE_FLAGS, `${DIST}src/cli/main.js`, 'fabric', '-S', socket, '-M', join(tmp, `${name}.mailbox`), ...extra];
  const child = start(argv[0]!, argv.slice(1));
  const said = await line(child, ready);
  return {
    socket, pid: child.pid!, said,
    stop: async () => {
      child.kill('SIGTERM');
      await stopped(child);
    },
  };
}

/** A C peer that stays (pong, or silent): resolves once it has joined, with its id. */
export async function cPeer(binary: string, socket: string, prefix: string[] = []): Promise<{ id: number; child: ChildProcess }> {
  const argv = [...prefix, binary, socket, 'pong'];
  const child = start(argv[0]!, argv.slice(1));
  const id = Number(/^ready (\d+)/.exec(await line(child, /^ready \d+/))![1]);
  return { id, child };
}

/** A C peer run to completion: its JSON result line. */
async function cRun<T>(binary: string, args: string[], prefix: string[] = []): Promise<T> {
  const argv = [...prefix, binary, ...args];
  const child = start(argv[0]!, argv.slice(1));
  const result = await line(child, /^\{/, 300_000);
  await stopped(child);
  return JSON.parse(result) as T;
}

export async function pingRun(binary: string, socket: string, target: number, plan: MessagePlan): Promise<RoundTrip> {
  const r = await cRun<{ median_ns: number; p99_ns: number; per_second: number }>(binary,
    [socket, 'ping', String(target), String(plan.rounds), String(plan.warmup)], PIN);
  return { medianUs: r.median_ns / 1e3, p99Us: r.p99_ns / 1e3, perSecond: r.per_second };
}

/** The median of each figure over several runs. */
export function medianTrip(trips: RoundTrip[]): RoundTrip {
  return { medianUs: median(trips.map((t) => t.medianUs)), p99Us: median(trips.map((t) => t.p99Us)), perSecond: median(trips.map((t) => t.perSecond)) };
}

/** Context switches into each thread of `pid` (the third field of its schedstat), by thread name. */
function wakeups(pid: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      const name = readFileSync(`/proc/${pid}/task/${task}/comm`, 'utf8').trim();
      out[name] = (out[name] ?? 0) + Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').trim().split(' ')[2]);
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

export async function messagePath(tmp: string, plan: MessagePlan, log: (text: string) => void): Promise<MessageResults> {
  const binary = compile();

  // Round trips: the switch and the floor side by side, everything on CPU 0.
  const pinned = await fabric(tmp, 'messages-rtt', PIN);
  const reps: Array<{ switch: RoundTrip; floor: RoundTrip }> = [];
  try {
    const pong = await cPeer(binary, pinned.socket, PIN);
    try {
      for (let rep = 0; rep < plan.reps; rep++) {
        const viaSwitch = await pingRun(binary, pinned.socket, 15, plan);
        const floor = await pingRun(binary, pinned.socket, pong.id, plan);
        reps.push({ switch: viaSwitch, floor });
        log(`mailbox ping -> pong on CPU 0 #${rep + 1}: famez switch ${viaSwitch.medianUs.toFixed(1)} us, C peer ${floor.medianUs.toFixed(1)} us (median)`);
      }
    } finally {
      pong.child.kill('SIGKILL');
      await stopped(pong.child);
    }
  } finally {
    await pinned.stop();
  }
  const pick = (side: 'switch' | 'floor'): RoundTrip => medianTrip(reps.map((r) => r[side]));
  const roundTrip = { affinity: 'the fabric and both C peers on CPU 0 (taskset -c 0)', switch: pick('switch'), floor: pick('floor'), ratioMedian: 0, reps };
  roundTrip.ratioMedian = roundTrip.switch.medianUs / roundTrip.floor.medianUs;

  // Several senders at once through the switch's one slot (no affinity set).
  const senders: MessageResults['senders'] = [];
  for (const count of [1, 4, 14]) {
    const open = await fabric(tmp, `messages-senders-${count}`);
    try {
      const runs = await Promise.all(Array.from({ length: count }, () =>
        cRun<{ messages: number; seconds: number }>(binary, [open.socket, 'flood', '15', String(plan.floodSeconds)])));
      const perSender = runs.map((r) => r.messages / r.seconds);
      const total = perSender.reduce((sum, rate) => sum + rate, 0);
      senders.push({ senders: count, messagesPerSecond: total, perSender });
      log(`${count} sender(s) pinging the switch: ${(total / 1e3).toFixed(1)}k messages/s`);
    } finally {
      await open.stop();
    }
  }

  // The idle fabric: 14 silent peers, nothing sent.
  const quiet = await fabric(tmp, 'messages-idle');
  const silent: ChildProcess[] = [];
  try {
    for (let i = 0; i < 14; i++) silent.push((await cPeer(binary, quiet.socket)).child);
    await sleep(1000);
    const cpuBefore = cpuNs(quiet.pid);
    const before = wakeups(quiet.pid);
    await sleep(plan.idleSeconds * 1000);
    const after = wakeups(quiet.pid);
    const byThread = Object.fromEntries(Object.entries(after).map(([name, n]) => [name, n - (before[name] ?? 0)] as const).filter(([, n]) => n > 0));
    const idle = {
      peers: 14, seconds: plan.idleSeconds, cpuNs: cpuNs(quiet.pid) - cpuBefore,
      wakeups: Object.values(byThread).reduce((sum, n) => sum + n, 0), wakeupsByThread: byThread,
    };
    log(`idle fabric, 14 silent peers, ${plan.idleSeconds} s: ${(idle.cpuNs / 1e6).toFixed(2)} ms CPU, ${idle.wakeups} wake-ups ${JSON.stringify(byThread)}`);
    return { roundTrip, senders, idle };
  } finally {
    for (const child of silent) child.kill('SIGKILL');
    await Promise.all(silent.map((child) => stopped(child)));
    await quiet.stop();
  }
}
