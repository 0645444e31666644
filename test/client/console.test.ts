// `famez client` as scripts use it: QEMU ivshmem-client's output lines,
// memory commands, waits, JSON, exit statuses, against a real famez server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect, createServer, type FamezClient, type FamezServer } from '../../src/index.js';
import { waitFor } from '../helpers/fds.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'famez-console-'));
const socketPath = join(dir, 'sock');
let server: FamezServer;
let peer: FamezClient;

before(async () => {
  server = createServer({ socketPath, memory: { kind: 'memfd', size: 1 << 20 }, vectors: 2 });
  await server.listen();
  peer = await connect({ path: socketPath });
});

after(async () => {
  peer.close();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Run {
  status: number | null;
  lines: string[];
  stderr: string;
}

function client(args: string[], input?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [MAIN, 'client', '-S', socketPath, ...args],
      { timeout: 20_000 },
      (error, stdout, stderr) => {
        resolve({
          status: error ? ((error as { code?: number }).code ?? 1) : 0,
          lines: stdout.split('\n').filter(Boolean),
          stderr,
        });
      },
    );
    child.stdin!.end(input ?? '');
  });
}

test("dump prints our id and every peer with its vectors, as QEMU's client does", async () => {
  const run = await client(['-c', 'dump']);
  assert.equal(run.status, 0, run.stderr);
  const id = Number(/our_id = (\d+)/.exec(run.lines.join('\n'))![1]);
  const dump = run.lines.slice(run.lines.indexOf(`our_id = ${id}`));
  assert.match(dump[1]!, /^ {2}vector 0 is enabled \(fd=\d+\)$/);
  assert.match(dump[2]!, /^ {2}vector 1 is enabled \(fd=\d+\)$/);
  assert.equal(dump[3], `peer_id = ${peer.id}`);
  assert.match(dump[4]!, /^ {2}vector 0 is enabled \(fd=\d+\)$/);
  assert.equal(dump.length, 6);
});

test("int rings a peer; a rung client prints QEMU's notification line with its own id", async () => {
  const rung = new Promise((resolve) => peer.once('doorbell', resolve));
  const run = await client(['-c', `int ${peer.id} 1`]);
  assert.equal(run.status, 0, run.stderr);
  assert.deepEqual(await rung, { vector: 1, count: 1 });

  const waiting = client(['-c', 'wait doorbell 1 10']);
  const joined = await new Promise<number>((resolve) => peer.once('peer', resolve));
  peer.ring(joined, 1);
  const waited = await waiting;
  assert.equal(waited.status, 0, waited.stderr);
  assert.ok(waited.lines.includes(`receive notification from peer_id=${joined} vector=1`), waited.lines.join('\n'));
  assert.ok(waited.lines.includes('doorbell on vector 1'));
});

test('int all rings every vector of every other peer', async () => {
  const rings: number[] = [];
  const listener = ({ vector }: { vector: number }): void => {
    rings.push(vector);
  };
  peer.on('doorbell', listener);
  const run = await client(['-c', 'int all']);
  assert.equal(run.status, 0, run.stderr);
  await waitFor(() => rings.length >= 2, 'both vectors to ring');
  await new Promise((resolve) => setTimeout(resolve, 100)); // time for a wrong extra ring to show
  peer.off('doorbell', listener);
  assert.deepEqual(rings.sort(), [0, 1]);
});

test('write, fill and read go to the shared memory the other peers see', async () => {
  const view = peer.memory.map(0, 4096);
  view.set(new TextEncoder().encode('from the library'), 256);
  const run = await client(['-c', 'write 0 "hello, famez"; write 16 0xdeadbeef; fill 32 4 0x41; read 256 16']);
  assert.equal(run.status, 0, run.stderr);
  assert.equal(new TextDecoder().decode(view.subarray(0, 12)), 'hello, famez');
  assert.deepEqual([...view.subarray(16, 20)], [0xde, 0xad, 0xbe, 0xef]);
  assert.deepEqual([...view.subarray(32, 37)], [0x41, 0x41, 0x41, 0x41, 0]);
  assert.ok(
    run.lines.includes('00000100  66 72 6f 6d 20 74 68 65  20 6c 69 62 72 61 72 79  |from the library|'),
    run.lines.join('\n'),
  );
  peer.memory.unmap(view);
});

test('a failing command ends a script with status 1 and says why', async () => {
  const missing = await client(['-c', 'int 999 0; dump']);
  assert.equal(missing.status, 1);
  assert.ok(missing.lines.includes('cannot find peer_id = 999'));
  assert.ok(!missing.lines.some((line) => line.startsWith('our_id')), 'nothing runs after the failure');
  const unknown = await client(['-c', 'frobnicate']);
  assert.equal(unknown.status, 1);
  assert.ok(unknown.lines.includes('invalid command, type help'));
  const outside = await client(['-c', 'read 1048570 64']);
  assert.equal(outside.status, 1);
  assert.match(outside.lines.at(-1)!, /outside the shared memory/);
  const timeout = await client(['-c', 'wait peer 4242 1']);
  assert.equal(timeout.status, 1);
  assert.match(timeout.lines.at(-1)!, /timeout: peer 4242 did not join within 1 s/);
});

test('commands come from stdin when it is not a terminal', async () => {
  const run = await client([], `write 64 "piped"\nread 64 5\n`);
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.lines.at(-1)!, /\|piped\|$/);
});

test('--json prints every result and event as one JSON object per line', async () => {
  const run = await client(['--json', '-c', 'dump; read 0 4; nonsense']);
  assert.equal(run.status, 1);
  const objects = run.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  assert.equal(objects[0]!.event, 'connected');
  const dump = objects.find((o) => o.command === 'dump')!;
  assert.equal((dump.result as { peers: unknown[] }).peers.length, 2);
  assert.deepEqual(objects.find((o) => o.command === 'read 0 4')!.result, {
    offset: 0,
    length: 4,
    hex: Buffer.from(peer.memory.map(0, 4).slice()).toString('hex'),
  });
  assert.deepEqual(
    objects.find((o) => o.command === 'nonsense'),
    { command: 'nonsense', ok: false, error: 'invalid command, type help' },
  );
});

test('without a server the client exits 1 with a one-line error', async () => {
  const run = await new Promise<Run>((resolve) => {
    execFile(process.execPath, [MAIN, 'client', '-S', join(dir, 'nothing'), '-c', 'dump'], (error, stdout, stderr) =>
      resolve({
        status: (error as { code?: number } | null)?.code ?? 0,
        lines: stdout.split('\n').filter(Boolean),
        stderr,
      }),
    );
  });
  assert.equal(run.status, 1);
  assert.match(run.stderr, /^famez: no ivshmem server at .*nothing \(ENOENT\)/);
  assert.equal(run.stderr.trim().split('\n').length, 1);
});

test('--reconnect waits for the server and comes back under a new id when it restarts', async () => {
  const path = join(dir, 'later');
  const child = spawn(process.execPath, [MAIN, 'client', '-S', path, '--reconnect', '-c', 'wait peer 65535 30'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const seen = (pattern: RegExp): Promise<void> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${pattern} in: ${output}`)), 10_000);
      const check = (): void => {
        if (pattern.test(output)) {
          clearTimeout(timer);
          resolve();
        } else child.stdout!.once('data', check);
      };
      check();
    });
  child.stdout!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  try {
    await new Promise((resolve) => setTimeout(resolve, 300));
    const first = createServer({ socketPath: path, memory: { kind: 'memfd', size: 1 << 16 } });
    await first.listen();
    await seen(/connected to .*later, our_id = 0/);
    await first.close();
    await seen(/disconnected from server/);
    const second = createServer({ socketPath: path, memory: { kind: 'memfd', size: 1 << 16 }, ids: 'rotate' });
    await second.listen();
    await seen(/reconnected, our_id = \d+/);
    await second.close();
  } finally {
    child.kill();
  }
});
