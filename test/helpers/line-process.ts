// A child process driven by lines: commands written to its stdin, its output
// collected line by line and waited on. Used for `famez` and QEMU's tools.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';

export class LineProcess {
  readonly child: ChildProcessWithoutNullStreams;
  readonly stdout: string[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #waiters: (() => void)[] = [];

  /** Starts `program`; the test's end kills it if it is still running. */
  constructor(
    t: TestContext,
    readonly name: string,
    program: string,
    args: string[],
  ) {
    this.child = spawn(program, args);
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code, signal) => {
        resolve({ code, signal });
        this.#notify();
      }),
    );
    for (const [stream, lines] of [
      [this.child.stdout, this.stdout],
      [this.child.stderr, this.stderr],
    ] as const) {
      let partial = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        const parts = (partial + chunk).split('\n');
        partial = parts.pop()!;
        lines.push(...parts);
        this.#notify();
      });
    }
    this.child.stdin.on('error', () => {
      /* the program is gone; its exit says why */
    });
    t.after(() => {
      if (this.running) this.child.kill('SIGKILL');
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Writes one command line to the program's stdin. */
  send(line: string): void {
    this.child.stdin.write(`${line}\n`);
  }

  #notify(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    waiters.forEach((wake) => wake());
  }

  #describe(): string {
    return `stdout: ${this.stdout.join(' | ')}; stderr: ${this.stderr.join(' | ')}`;
  }

  /** The index of the first stdout line matching `pattern` (from `from` on), waiting for it. */
  async lineIndex(pattern: RegExp, timeoutMs = 10_000, from = 0): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.stdout.findIndex((line, i) => i >= from && pattern.test(line));
      if (found >= 0) return found;
      if (!this.running)
        assert.fail(
          `${this.name} exited (${this.child.exitCode ?? this.child.signalCode}) without printing ${pattern}; ${this.#describe()}`,
        );
      if (Date.now() > deadline)
        assert.fail(`${this.name}: no line ${pattern} within ${timeoutMs} ms; ${this.#describe()}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 100);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** The first stdout line matching `pattern` (from `from` on), waiting for it. */
  async line(pattern: RegExp, timeoutMs = 10_000, from = 0): Promise<string> {
    return this.stdout[await this.lineIndex(pattern, timeoutMs, from)]!;
  }

  async exit(timeoutMs = 10_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${this.name} did not exit within ${timeoutMs} ms; ${this.#describe()}`)),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
