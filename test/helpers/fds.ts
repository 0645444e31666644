// Test helpers: counting this process's open fds, failing a test that leaks
// one, and waiting for something with a deadline so that no test hangs.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';

// libuv opens one inotify fd per event loop at the first fs.watch and keeps it
// for the process's life; the fabric watches its mailbox file, so that fd is
// opened here, before any test takes its fd baseline.
fs.watch(os.tmpdir(), { persistent: false }).close();

/**
 * This process's open fds and what each points at (readlink of
 * /proc/self/fd/N). readdir opens the directory itself, so its listing holds
 * one fd that is closed again by the time the entries are looked at: entries
 * that have vanished (ENOENT) are left out, which drops exactly that one.
 */
export function openFds(): Map<number, string> {
  const fds = new Map<number, string>();
  for (const name of fs.readdirSync('/proc/self/fd')) {
    try {
      fds.set(Number(name), fs.readlinkSync(`/proc/self/fd/${name}`));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  return fds;
}

/** How many fds this process has open (without the one readdir uses). */
export function openFdCount(): number {
  return openFds().size;
}

/** Whether `fd` is open in this process. */
export function isOpen(fd: number): boolean {
  return fs.existsSync(`/proc/self/fd/${fd}`);
}

/** What an open fd points at, e.g. 'anon_inode:[eventfd]' or 'socket:[123]'. */
export function fdTarget(fd: number): string {
  return fs.readlinkSync(`/proc/self/fd/${fd}`);
}

export const O_NONBLOCK = 0o4000;
export const O_CLOEXEC = 0o2000000;
export const O_ACCMODE = 0o3;

/** The file status flags of an fd (the `flags:` line of /proc/self/fdinfo/N; octal). */
export function fdFlags(fd: number): number {
  const info = fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8');
  const match = /^flags:\s+([0-7]+)$/m.exec(info);
  assert.ok(match, `no flags line in /proc/self/fdinfo/${fd}`);
  return parseInt(match[1]!, 8);
}

/**
 * Owns the fds and other resources a test creates and releases them after the
 * test, last acquired first (so a watcher registered after its fd is closed
 * before the fd). Closing goes through fs.closeSync, not the code under test.
 */
export class FdScope {
  readonly #cleanups: Array<{ fd?: number; run: () => void }> = [];

  /** Closes `fd` after the test. */
  own<T extends number>(fd: T): T {
    assert.ok(Number.isInteger(fd) && fd >= 0, `not an fd: ${fd}`);
    this.#cleanups.push({ fd, run: () => fs.closeSync(fd) });
    return fd;
  }

  /** Forgets `fd` without closing it (the test closed it itself). */
  release(fd: number): void {
    let index = this.#cleanups.length - 1;
    while (index >= 0 && this.#cleanups[index]!.fd !== fd) index--;
    assert.ok(index >= 0, `fd ${fd} is not owned by this test`);
    this.#cleanups.splice(index, 1);
  }

  /** Closes an owned fd now. */
  close(fd: number): void {
    this.release(fd);
    fs.closeSync(fd);
  }

  /** Runs `cleanup` after the test. */
  defer(cleanup: () => void): void {
    this.#cleanups.push({ run: cleanup });
  }

  /** Runs every cleanup; the first failure is rethrown after all have run. */
  cleanup(): void {
    let first: unknown;
    let failed = false;
    while (this.#cleanups.length > 0) {
      const { run } = this.#cleanups.pop()!;
      try {
        run();
      } catch (error) {
        if (!failed) first = error;
        failed = true;
      }
    }
    if (failed) throw first;
  }
}

function describeFds(fds: Iterable<[number, string]>): string {
  return [...fds].map(([fd, target]) => `${fd} -> ${target}`).join(', ');
}

/**
 * Wraps a test body: runs it with an FdScope, releases the scope, then asserts
 * that exactly the fds that were open before the test are open after it.
 *
 *   test('name', withNoFdLeak(async (scope) => { const fd = scope.own(sys.createEventfd()); ... }));
 */
export function withNoFdLeak(fn: (scope: FdScope) => unknown): () => Promise<void> {
  return async () => {
    const before = openFds();
    const scope = new FdScope();
    try {
      await fn(scope);
    } catch (error) {
      try {
        scope.cleanup();
      } catch {
        // The test's own failure is the one to report.
      }
      throw error;
    }
    scope.cleanup();
    const after = openFds();
    const leaked = [...after].filter(([fd, target]) => before.get(fd) !== target);
    const lost = [...before].filter(([fd, target]) => after.get(fd) !== target);
    assert.ok(
      leaked.length === 0 && lost.length === 0,
      `fd leak: ${before.size} fds open before the test, ${after.size} after` +
        (leaked.length ? `; left open: ${describeFds(leaked)}` : '') +
        (lost.length ? `; closed that the test did not open: ${describeFds(lost)}` : ''),
    );
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves like `promise`, or rejects with a clear message after `ms`. */
export function withTimeout<T>(promise: Promise<T>, what: string, ms = 3000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

type Maybe<T> = T | undefined | null | false;

/**
 * Polls `condition` (every `interval` ms) until it returns something other than
 * undefined, null or false, and resolves with that; rejects with a clear
 * message after `ms` (`what` may be a function, to describe the state then).
 */
export async function waitFor<T>(
  condition: () => Maybe<T> | Promise<Maybe<T>>,
  what: string | (() => string),
  ms = 5000,
  interval = 2,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await condition();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() >= end)
      throw new Error(`timed out after ${ms} ms waiting for ${typeof what === 'string' ? what : what()}`);
    await sleep(interval);
  }
}

let warmUp: Promise<void> | undefined;

/**
 * libuv opens an fd for child-process signal handling on a process's first
 * spawn and keeps it: spawn once before a leak-checked test counts fds.
 */
export function warmUpChildProcesses(): Promise<void> {
  warmUp ??= new Promise((resolve) => {
    spawn(process.execPath, ['-e', ''], { stdio: 'ignore' }).on('exit', () => resolve());
  });
  return warmUp;
}
