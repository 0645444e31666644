// A client takes a peer as present (its handshake's peers, 'peer' events)
// only once it holds all of the peer's vectors, even when the server's
// messages reach it in pieces: with the server's CPU kept busy by a spinning
// child, the server (a process of its own) is preempted between its sendmsg
// calls, and the client drains its socket in the middle of a run of vectors.
// Ringing every vector at once must work. (Before the fix, about 8 rounds in
// 200 failed here: "the joiner has 1 vectors of its own".)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect, type FamezClient } from '../../src/index.js';
import { waitFor } from '../helpers/fds.js';
import { LineProcess } from '../helpers/line-process.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const VECTORS = 16;
const JOINS = 200;

/** Resolves with the id of the next peer `client` announces. */
const nextPeer = (client: FamezClient): Promise<number> => new Promise((resolve) => client.once('peer', resolve));

test(`${JOINS} peers join under CPU load; each is rung on all ${VECTORS} vectors the moment it is announced`, {
  timeout: 120_000,
}, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'famez-join-load-'));
  const shmName = `famez-join-load-${process.pid}`;
  t.after(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(`/dev/shm/${shmName}`, { force: true });
  });
  const socketPath = join(dir, 'sock');
  const server = new LineProcess(t, 'famez server', 'taskset', [
    '-c',
    '0',
    'nice',
    '-n',
    '10',
    process.execPath,
    MAIN,
    'server',
    '-S',
    socketPath,
    '-M',
    shmName,
    '-n',
    String(VECTORS),
  ]);
  await server.line(/listening on/, 30_000);

  const watcher = await connect({ path: socketPath });
  t.after(() => watcher.close());
  // Alone on the server, our own vectors are known only as they arrive.
  await waitFor(() => watcher.vectors === VECTORS, `the watcher's ${VECTORS} vectors`);
  // The stress child: it spins on the server's CPU, where the server runs niced, so that the
  // server is preempted between the sendmsg calls of one announcement.
  const spinner = spawn('taskset', ['-c', '0', process.execPath, '-e', 'for (;;);'], { stdio: 'ignore' });
  t.after(() => spinner.kill('SIGKILL'));
  const failures: string[] = [];
  for (let round = 0; round < JOINS; round++) {
    const announced = nextPeer(watcher);
    const joiner = await connect({ path: socketPath });
    const id = await announced;
    assert.equal(id, joiner.id);
    try {
      // The joiner's view right after its handshake, and the watcher's of the joiner.
      assert.equal(joiner.vectors, VECTORS, `the joiner has ${joiner.vectors} vectors of its own`);
      assert.equal(
        joiner.peers.get(watcher.id),
        VECTORS,
        `the joiner sees ${joiner.peers.get(watcher.id)} vectors of the watcher`,
      );
      for (let vector = 0; vector < VECTORS; vector++) joiner.ring(watcher.id, vector);
      assert.equal(watcher.peers.get(id), VECTORS, `peer ${id} announced with ${watcher.peers.get(id)} vectors`);
      for (let vector = 0; vector < VECTORS; vector++) watcher.ring(id, vector);
    } catch (error) {
      failures.push(`round ${round}: ${(error as Error).message}`);
    }
    joiner.close();
  }
  assert.deepEqual(failures, []);
});
