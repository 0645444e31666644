// Running `famez` as a child process, as users do.
import { execFile, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';
import { LineProcess } from '../helpers/line-process.js';

export const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

/** Runs famez to completion. */
export function famez(args: string[], timeoutMs = 10_000): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: timeoutMs });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Runs famez to completion without blocking this process (for a server in this process). */
export function famezAsync(
  args: string[],
  timeoutMs = 10_000,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [MAIN, ...args],
      { encoding: 'utf8', timeout: timeoutMs, env },
      (error, stdout, stderr) => {
        const code = (error as { code?: unknown } | null)?.code;
        resolve({ status: error ? (typeof code === 'number' ? code : null) : 0, stdout, stderr });
      },
    );
  });
}

/** A running `famez ...` whose output is collected line by line. */
export class Famez extends LineProcess {
  constructor(t: TestContext, args: string[]) {
    super(t, 'famez', process.execPath, [MAIN, ...args]);
  }
}
