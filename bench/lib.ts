// Helpers shared by the bench and its children: statistics, /proc readings,
// child processes that are always cleaned up, and IPC waits.
import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (dist/bench/lib.js -> ../../). */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const DIST = `${ROOT}dist/`;

/** The flags the famez bin's shebang gives node (`#!/usr/bin/env -S node FLAGS`): the bench runs it as users do. */
export const BIN_NODE_FLAGS = readFileSync(`${DIST}src/cli/main.js`, 'utf8').split('\n')[0]!.split(/\s+/).slice(3);

// ---- statistics ----------------------------------------------------------

export interface Summary {
  count: number;
  min: number;
  median: number;
  p99: number;
  mean: number;
  max: number;
}

/** Order statistics of `values` (sorted in place). */
export function summarize(values: Float64Array | number[]): Summary {
  const sorted = values instanceof Float64Array ? values.sort() : values.sort((a, b) => a - b);
  const n = sorted.length;
  if (n === 0) throw new Error('no samples');
  let sum = 0;
  for (let i = 0; i < n; i++) sum += sorted[i]!;
  return {
    count: n,
    min: sorted[0]!,
    median: sorted[Math.floor(n / 2)]!,
    p99: sorted[Math.ceil(n * 0.99) - 1]!,
    mean: sum / n,
    max: sorted[n - 1]!,
  };
}

export function median(values: number[]): number {
  return summarize([...values]).median;
}

/** A ratio measured in several rounds: the median of the per-round ratios and their spread. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  rounds: number[];
}

export function spread(rounds: number[]): Spread {
  const s = summarize([...rounds]);
  return { median: s.median, min: s.min, max: s.max, rounds };
}

/** "1.23x (1.10-1.40)": a spread as the bench prints it. */
export function formatSpread(r: Spread, digits = 2): string {
  return `${r.median.toFixed(digits)}x (${r.min.toFixed(digits)}-${r.max.toFixed(digits)})`;
}

// ---- /proc ---------------------------------------------------------------

/** Resident set size in KiB. */
export function rssKiB(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no VmRSS for ${pid}`);
  return Number(match[1]);
}

export function fdCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** utime + stime in clock ticks. */
export function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces) start at field 3.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/** CPU time of every thread of `pid` in ns (schedstat: nanosecond resolution, unlike clock ticks). */
export function cpuNs(pid: number): number {
  let total = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      total += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // the thread ended meanwhile
    }
  }
  return total;
}

/** CPU ns per thread name (main thread "node", V8 workers, libuv pool...). */
export function cpuNsByThread(pid: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      const name = readFileSync(`/proc/${pid}/task/${task}/comm`, 'utf8').trim();
      out[name] = (out[name] ?? 0) + Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

/** Max open files of this process: soft and hard. */
export function fdLimits(): { soft: number; hard: number } {
  const match = /^Max open files\s+(\S+)\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
  const value = (text: string | undefined): number => (text === 'unlimited' ? Infinity : Number(text));
  return { soft: value(match?.[1]), hard: value(match?.[2]) };
}

// ---- children ------------------------------------------------------------

const children = new Set<ChildProcess>();
let cleanupInstalled = false;

/** Kills every child still running (SIGKILL). Safe to call from an exit handler. */
export function killChildren(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        child.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  children.clear();
}

/** Cleans up children on every way out: normal exit, exception, SIGINT/SIGTERM/SIGHUP. */
export function installCleanup(extra: () => void = () => {}): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  const cleanup = (): void => {
    killChildren();
    try {
      extra();
    } catch {
      // best effort
    }
  };
  process.on('exit', cleanup);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      process.stderr.write(`\nbench: ${signal}, stopping children\n`);
      cleanup();
      process.exit(130);
    });
  }
  process.on('uncaughtException', (error) => {
    process.stderr.write(`bench: ${error.stack ?? error.message}\n`);
    cleanup();
    process.exit(1);
  });
  process.on('unhandledRejection', (error) => {
    process.stderr.write(`bench: ${(error as Error)?.stack ?? String(error)}\n`);
    cleanup();
    process.exit(1);
  });
}

/** setpriv (util-linux) sets a parent-death signal: children go even if the bench is SIGKILLed. */
const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((path) => existsSync(path));

/**
 * Spawns a tracked child (killed when the bench exits; sent `deathSignal` if
 * the bench dies without cleaning up). stderr is passed through.
 */
export function start(command: string, args: string[], options: SpawnOptions = {}, deathSignal = 'KILL'): ChildProcess {
  const argv = SETPRIV ? [SETPRIV, '--pdeathsig', deathSignal, command, ...args] : [command, ...args];
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'inherit'], ...options });
  children.add(child);
  child.on('exit', () => children.delete(child));
  child.on('error', () => children.delete(child));
  return child;
}

/** A node child running dist/bench/children/<script>.js with an IPC channel, behind `prefix` (taskset ...). */
export function startNode(script: string, args: string[], prefix: string[] = []): ChildProcess {
  const argv = [...prefix, process.execPath, `${DIST}bench/children/${script}.js`, ...args];
  return start(argv[0]!, argv.slice(1), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

export type Message = { type: string } & Record<string, unknown>;

/** The next IPC message of `type` from `child`; rejects if the child exits first or time runs out. */
export function nextMessage<T extends Message>(child: ChildProcess, type: string, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const finish = (error?: Error, message?: T): void => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve(message!);
    };
    const onMessage = (message: Message): void => {
      if (message.type === 'error') finish(new Error(`child ${child.pid}: ${String(message.message)}`));
      else if (message.type === type) finish(undefined, message as T);
    };
    const onExit = (code: number | null, signal: string | null): void => {
      finish(
        new Error(`child ${child.pid} (${child.spawnargs.join(' ')}) exited (${signal ?? code}) before "${type}"`),
      );
    };
    const timer = setTimeout(
      () => finish(new Error(`no "${type}" from child ${child.pid} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

/** Waits for a child to exit; kills it after `timeoutMs`. */
export function stopped(child: ChildProcess, timeoutMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ---- in children ---------------------------------------------------------

/** Sends an IPC message to the parent. */
export function tell(message: Message): void {
  process.send?.(message);
}

/** Children exit when the bench goes away, and report their failures. */
export function childSetup(): void {
  if (!process.send) throw new Error('run by bench/run.js, with an IPC channel');
  process.on('disconnect', () => process.exit(0));
  const fail = (error: unknown): void => {
    process.stderr.write(`bench child ${process.pid}: ${(error as Error)?.stack ?? String(error)}\n`);
    try {
      tell({ type: 'error', message: (error as Error)?.message ?? String(error) });
    } finally {
      setTimeout(() => process.exit(1), 100);
    }
  };
  process.on('uncaughtException', fail);
  process.on('unhandledRejection', fail);
}

/** Compiles bench/NAME.c into bench/build/NAME (gcc -O2): the binary's path. */
export function compileC(name: string): string {
  const out = join(ROOT, 'bench/build');
  mkdirSync(out, { recursive: true });
  const binary = join(out, name);
  execFileSync('gcc', ['-O2', '-Wall', '-Wextra', '-o', binary, join(ROOT, `bench/${name}.c`)], { stdio: 'inherit' });
  return binary;
}
