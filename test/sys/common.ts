// Shared pieces of the native-layer tests: errno expectations, connected
// socket pairs, a scratch directory and child processes with deadlines.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as sys from '../../src/sys/index.js';
import { withTimeout, type FdScope } from '../helpers/fds.js';
import assert from 'node:assert/strict';

/** What assert.throws should see for a failed system call. */
export function sysError(code: string, syscall: string): Record<string, unknown> {
  const errno = (os.constants.errno as Record<string, number>)[code];
  if (errno === undefined) throw new Error(`unknown errno name ${code}`);
  return {
    name: 'Error',
    code,
    errno,
    syscall,
    message: new RegExp(`^${syscall} ${code}: \\S`),
  };
}

/** What assert.throws should see for a bad argument. */
export const typeError = { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' };

let scratch: string | undefined;

/** A directory for this test process, removed when it exits. */
export function scratchDir(): string {
  if (scratch === undefined) {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'famez-sys-'));
    const dir = scratch;
    process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  }
  return scratch;
}

let serial = 0;

/** A path in the scratch directory that does not exist yet (short enough for sun_path). */
export function freshPath(prefix = 's'): string {
  return path.join(scratchDir(), `${prefix}${++serial}`);
}

/** A POSIX shared-memory name unique to this process and call, unlinked after the test. */
export function shmName(scope: FdScope): string {
  const name = `/famez-test-${process.pid}-${++serial}`;
  scope.defer(() => {
    try {
      sys.shmUnlink(name);
    } catch (error) {
      if (!sys.isSysError(error, 'ENOENT')) throw error;
    }
  });
  return name;
}

export interface SocketPair {
  path: string;
  listener: sys.Fd;
  client: sys.Fd;
  server: sys.Fd;
}

/** A listening socket and one connection to it, all owned by `scope`. */
export function socketPair(scope: FdScope): SocketPair {
  const socketPath = freshPath('pair');
  const listener = scope.own(sys.listen(socketPath));
  scope.defer(() => fs.rmSync(socketPath, { force: true }));
  const client = scope.own(sys.connect(socketPath));
  const server = sys.accept(listener);
  if (server === null) throw new Error('accept found no connection right after connect');
  scope.own(server);
  return { path: socketPath, listener, client, server };
}

/** Bytes 0..n-1 plus `seed`, as a recognisable pattern. */
export function pattern(length: number, seed = 0): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 7 + seed) & 0xff;
  return bytes;
}

// ---- child processes -------------------------------------------------------

/** file: URL of the compiled library, for child scripts to import. */
export const SYS_URL = pathToFileURL(fileURLToPath(new URL('../../src/sys/index.js', import.meta.url))).href;

export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The child was still running at the deadline and was killed. */
  timedOut: boolean;
  ms: number;
}

export interface Child {
  child: ChildProcess;
  /** Settles once the child has exited and its pipes are closed. */
  result: Promise<ChildResult>;
}

/** Starts a process that is SIGKILLed if it runs longer than `timeoutMs`. */
export function startProcess(
  command: string,
  args: string[],
  timeoutMs = 10_000,
  env: NodeJS.ProcessEnv = process.env,
): Child {
  const started = Date.now();
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  let stdout = '';
  let stderr = '';
  let timedOut = false;
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, timeoutMs);
  const result = new Promise<ChildResult>((resolve, reject) => {
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut, ms: Date.now() - started });
    });
  });
  return { child, result };
}

/**
 * Runs `body` as an ES module in a new Node.js, with `sys` already imported
 * from the compiled library.
 */
export function runNode(
  body: string,
  timeoutMs = 10_000,
  nodeArgs: string[] = [],
  env: NodeJS.ProcessEnv = process.env,
): Promise<ChildResult> {
  const script = `import * as sys from ${JSON.stringify(SYS_URL)};\n${body}`;
  return startProcess(process.execPath, [...nodeArgs, '--input-type=module', '-e', script], timeoutMs, env).result;
}

/** How long to wait for a child process to do its part (generous: the machine may be busy). */
export const CHILD_WAIT_MS = 8000;

/** Runs a Python 3 program given as source text. */
export function startPython(source: string, args: string[], timeoutMs = 10_000): Child {
  return startProcess('python3', ['-c', source, ...args], timeoutMs);
}

export { warmUpChildProcesses } from '../helpers/fds.js';

/** Formats a child's result for assertion messages. */
export function explain(result: ChildResult): string {
  return (
    `code ${result.code}, signal ${result.signal}, timedOut ${result.timedOut}, ` +
    `${result.ms} ms\nstdout: ${result.stdout}\nstderr: ${result.stderr}`
  );
}

/** Waits (with a deadline) for a Python helper to finish its part and exit 0. */
export async function pythonSucceeded(python: Child): Promise<void> {
  const result = await withTimeout(python.result, 'the python child to exit', CHILD_WAIT_MS);
  assert.equal(result.code, 0, explain(result));
}

/** Kills a child, whatever state it is in, and waits until it is gone. */
export async function stopChild(child: Child): Promise<void> {
  child.child.kill();
  await child.result.catch(() => undefined);
}
