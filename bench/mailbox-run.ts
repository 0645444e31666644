// Processes for the mailbox benchmarks: `famez fabric` in its own process, the
// C mailbox peer (bench/mailbox-peer.c) joined to it or run to completion, and
// the round trips it times.
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { BIN_NODE_FLAGS, compileC, DIST, median, start, stopped } from './lib.js';

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
export const PIN = ['taskset', '-c', '0'];

/** The C mailbox peer (bench/mailbox-peer.c), compiled. */
export function compile(): string {
  return compileC('mailbox-peer');
}

/** Resolves with the first stdout line matching `pattern`; rejects if the child exits first. */
export function line(child: ChildProcess, pattern: RegExp, timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const done = (error?: Error, found?: string): void => {
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.off('close', onExit);
      if (error) reject(error);
      else resolve(found!);
    };
    const onData = (chunk: Buffer): void => {
      text += chunk.toString();
      const found = text.split('\n').find((l) => pattern.test(l));
      if (found !== undefined) done(undefined, found);
    };
    // 'close', not 'exit': a line written just before exiting may still be in the pipe at 'exit'.
    const onExit = (code: number | null): void =>
      done(new Error(`${child.spawnargs.join(' ')} exited (${code}) before ${pattern}; it said: ${text}`));
    const timer = setTimeout(
      () => done(new Error(`no ${pattern} from ${child.spawnargs.join(' ')} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    child.stdout!.on('data', onData);
    child.on('close', onExit);
  });
}

/** A switch: its socket, its process and the line that said it was ready. */
export interface SwitchProcess {
  socket: string;
  pid: number;
  said: string;
  stop(): Promise<void>;
}

/** Starts `argv` (a switch serving `socket`) and resolves once it prints a line matching `ready`. */
export async function switchProcess(argv: string[], socket: string, ready: RegExp): Promise<SwitchProcess> {
  const child = start(argv[0]!, argv.slice(1));
  const said = await line(child, ready);
  return {
    socket,
    pid: child.pid!,
    said,
    stop: async () => {
      child.kill('SIGTERM');
      await stopped(child);
    },
  };
}

/**
 * `famez fabric` in its own process (behind `prefix`, with `extra` options), once it logs `ready` (default: listening).
 */
export function fabric(
  tmp: string,
  name: string,
  prefix: string[] = [],
  extra: string[] = [],
  ready = /listening on /,
): Promise<SwitchProcess> {
  const socket = join(tmp, `${name}.sock`);
  return switchProcess(
    [
      ...prefix,
      process.execPath,
      ...BIN_NODE_FLAGS,
      `${DIST}src/cli/main.js`,
      'fabric',
      '-S',
      socket,
      '-M',
      join(tmp, `${name}.mailbox`),
      ...extra,
    ],
    socket,
    ready,
  );
}

/** The C switch (bench/c-switch.c, compiled as `binary`) in its own process, behind `prefix`. */
export function cSwitch(binary: string, tmp: string, name: string, prefix: string[] = []): Promise<SwitchProcess> {
  const socket = join(tmp, `${name}.sock`);
  return switchProcess([...prefix, binary, socket], socket, /^listening on /);
}

/** A C peer that stays (pong, or silent): resolves once it has joined, with its id. */
export async function cPeer(
  binary: string,
  socket: string,
  prefix: string[] = [],
): Promise<{ id: number; child: ChildProcess }> {
  const argv = [...prefix, binary, socket, 'pong'];
  const child = start(argv[0]!, argv.slice(1));
  const id = Number(/^ready (\d+)/.exec(await line(child, /^ready \d+/))![1]);
  return { id, child };
}

/** A C peer run to completion: its JSON result line. */
export async function cRun<T>(binary: string, args: string[], prefix: string[] = []): Promise<T> {
  const argv = [...prefix, binary, ...args];
  const child = start(argv[0]!, argv.slice(1));
  const result = await line(child, /^\{/, 300_000);
  await stopped(child);
  return JSON.parse(result) as T;
}

/**
 * Ping -> pong round trips from a new C peer of `socket` to `target` for `seconds`. A pong that never comes (given up
 * after 3 s) is famez losing a message: the run fails, naming it, rather than measuring the stall.
 */
export async function floodRun(
  binary: string,
  socket: string,
  target: number,
  seconds: number,
  prefix: string[] = [],
): Promise<{ messages: number; seconds: number }> {
  const r = await cRun<{ messages: number; seconds: number; lost: number }>(
    binary,
    [socket, 'flood', String(target), String(seconds)],
    prefix,
  );
  if (r.lost > 0) throw new Error(`${r.lost} of ${r.messages + r.lost} pings to ${target} through ${socket} lost`);
  return r;
}

export async function pingRun(binary: string, socket: string, target: number, plan: MessagePlan): Promise<RoundTrip> {
  const r = await cRun<{ median_ns: number; p99_ns: number; per_second: number }>(
    binary,
    [socket, 'ping', String(target), String(plan.rounds), String(plan.warmup)],
    PIN,
  );
  return { medianUs: r.median_ns / 1e3, p99Us: r.p99_ns / 1e3, perSecond: r.per_second };
}

/** The median of each figure over several runs. */
export function medianTrip(trips: RoundTrip[]): RoundTrip {
  return {
    medianUs: median(trips.map((t) => t.medianUs)),
    p99Us: median(trips.map((t) => t.p99Us)),
    perSecond: median(trips.map((t) => t.perSecond)),
  };
}
