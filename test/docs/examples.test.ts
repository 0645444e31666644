// Docs examples as tests: every command the README and docs/*.md show runs
// as written (the socket, memory, ports and files moved to a scratch
// directory), 20 times under a loaded CPU, and must never fail; where the doc
// shows the output, the output must be that. A new or changed example that
// no rule in examples.ts covers fails the first test until it is given one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { connect, createServer } from '../../src/index.js';
import { connectFabric, createFabric } from '../../src/fabric/index.js';
import { MAIN } from '../cli/cli.js';
import { docExamples, howToRun, type Example, type How } from './examples.js';

const REPO = resolve(dirname(MAIN), '../../..');
const RUNS = Number(process.env.FAMEZ_DOC_RUNS ?? 20);
const examples = docExamples(REPO);

// `famez` and `npx famez` as shell functions: this famez, on the run's socket and memory unless the example names them.
const PRELUDE = `
famez() {
  c=$1; shift
  case "$c" in chat|client|server|fabric)
    case " $* " in *" -S "*|*" --socket-path "*|*" --socketpath "*) ;; *) set -- -S "$FAMEZ_DOC_SOCKET" "$@";; esac;;
  esac
  case "$c" in server|fabric)
    case " $* " in *" -M "*|*" -f "*|*" -m "*) ;; *) set -- -M "$FAMEZ_DOC_SHM" "$@";; esac;;
  esac
  exec "$FAMEZ_DOC_NODE" "$FAMEZ_DOC_MAIN" "$c" "$@"
}
npx() { [ "$1" = famez ] && shift; famez "$@"; }
`;

/** The example with this machine's shared places moved into `dir` (default sockets, /data, ports, token files). */
function scratch(command: string, dir: string, socket: string): string {
  return command
    .replace(/\/tmp\/ivshmem_socket|\/tmp\/ivshmsg_socket|\/tmp\/iv\.sock|\/run\/famez\/[\w.-]+\.sock/g, socket)
    .replace(/\/data\//g, `${dir}/`)
    .replace(/--http-token (~\/\.famez-token|t)\b/g, `--http-token ${dir}/token`)
    .replace(/--http (?:(\d+)|([\w.]+):\d+)(?=\s|$)/g, (_, port, host) => (port ? '--http 0' : `--http ${host}:0`))
    .replace(/--http(?=\s+-|$)/g, '--http 0');
}

let runs = 0;

/** Runs one example once; rejects with what went wrong. */
async function runOnce(example: Example, how: How): Promise<void> {
  const n = ++runs;
  const dir = mkdtempSync(join(tmpdir(), 'famez-doc-'));
  const socket = join(dir, 'sock');
  const shm = `famez-doc-${process.pid}-${n}`;
  writeFileSync(join(dir, 'token'), 'doc-example-token\n', { mode: 0o600 });
  const cleanups: (() => unknown)[] = [() => rmSync(`/dev/shm/${shm}`, { force: true })];
  try {
    const on = how.kind === 'console' || how.kind === 'output' ? how.on : undefined;
    if (on === 'fabric') {
      // A fabric with one chat already on it, z01, as the docs' examples have.
      const fabric = createFabric({ socketPath: socket, mailbox: join(dir, 'mailbox') });
      await fabric.listen();
      cleanups.push(() => fabric.close());
      const z01 = await connectFabric({ path: socket });
      cleanups.push(() => z01.close());
      await z01.greeting;
    } else if (on === 'server') {
      const server = createServer({ socketPath: socket, memory: { kind: 'memfd', size: 1 << 20 }, vectors: 1 });
      await server.listen();
      cleanups.push(() => server.close());
      const first = await connect({ path: socket });
      cleanups.push(() => first.close());
    }
    const command = how.kind === 'output' ? example.command : scratch(example.command, dir, socket);
    const child = spawn('/bin/sh', ['-c', `${PRELUDE}\n${command}`], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        FAMEZ_DOC_NODE: process.execPath,
        FAMEZ_DOC_MAIN: MAIN,
        FAMEZ_DOC_SOCKET: socket,
        FAMEZ_DOC_SHM: shm,
      },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const exited = new Promise<number | null>((done) => child.once('close', (code) => done(code)));
    const what = (why: string): Error => new Error(`${example.at}: ${command}: ${why}\n${out}`);
    if (how.kind === 'service') {
      const listening = await Promise.race([
        new Promise<boolean>((done) => {
          const look = (): void => {
            if (/listening on /.test(out)) done(true);
          };
          child.stdout.on('data', look);
          child.stderr.on('data', look);
        }),
        exited.then(() => false),
      ]);
      if (!listening) throw what('it exited without listening');
      child.kill('SIGTERM');
      if ((await exited) !== 0) throw what('it did not stop cleanly on SIGTERM');
      return;
    }
    const code = await exited;
    if (code !== 0) throw what(`status ${code}`);
    if (how.kind === 'output') assert.equal(out, example.expected, `${example.at}: the output the doc shows`);
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('every command in the README and docs/*.md is run by this test or excluded with a reason', () => {
  const unclassified = examples.filter((example) => howToRun(example) === undefined);
  assert.deepEqual(
    unclassified.map((e) => `${e.at}: ${e.command}`),
    [],
    'give each a rule in test/docs/examples.ts',
  );
  const excluded = examples.filter((example) => howToRun(example)?.kind === 'excluded');
  assert.ok(examples.length - excluded.length >= 20, 'most examples run');
});

test(`the docs' examples, each ${RUNS} times under a loaded CPU, never fail`, { timeout: 900_000 }, async (t) => {
  // A busy loop beside the runs: timing that only works on an idle machine shows up here.
  const load = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
  t.after(() => load.kill('SIGKILL'));
  const jobs = examples.flatMap((example) => {
    const how = howToRun(example);
    return how && how.kind !== 'excluded' ? Array.from({ length: RUNS }, () => ({ example, how })) : [];
  });
  const failures: string[] = [];
  const worker = async (): Promise<void> => {
    for (let job = jobs.shift(); job; job = jobs.shift()) {
      await runOnce(job.example, job.how).catch((error: Error) => failures.push(error.message));
    }
  };
  await Promise.all([worker(), worker(), worker()]);
  assert.deepEqual(failures, []);
});
