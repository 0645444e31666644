// Running `famez` as a child process, as users do.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';

export const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

/** Runs famez to completion. */
export function famez(args: string[], timeoutMs = 10_000): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: timeoutMs });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A running `famez ...` whose output is collected line by line. */
export class Famez {
  readonly child: ChildProcessWithoutNullStreams;
  readonly stdout: string[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #waiters: (() => void)[] = [];

  constructor(t: TestContext, args: string[]) {
    this.child = spawn(process.execPath, [MAIN, ...args]);
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => {
      resolve({ code, signal });
      this.#notify();
    }));
    for (const [stream, lines] of [[this.child.stdout, this.stdout], [this.child.stderr, this.stderr]] as const) {
      let partial = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        const parts = (partial + chunk).split('\n');
        partial = parts.pop()!;
        lines.push(...parts);
        this.#notify();
      });
    }
    t.after(() => {
      if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  #notify(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    waiters.forEach((wake) => wake());
  }

  /** The first stdout line matching `pattern` (from `from` on), waiting for it. */
  async line(pattern: RegExp, timeoutMs = 10_000, from = 0): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.stdout.slice(from).find((line) => pattern.test(line));
      if (found !== undefined) return found;
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        assert.fail(`famez exited (${this.child.exitCode ?? this.child.signalCode}) without printing ${pattern}; stdout: ${this.stdout.join(' | ')}; stderr: ${this.stderr.join(' | ')}`);
      }
      if (Date.now() > deadline) assert.fail(`no line ${pattern} within ${timeoutMs} ms; stdout: ${this.stdout.join(' | ')}; stderr: ${this.stderr.join(' | ')}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 100);
        this.#waiters.push(() => { clearTimeout(timer); resolve(); });
      });
    }
  }

  async exit(timeoutMs = 10_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`famez did not exit within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
