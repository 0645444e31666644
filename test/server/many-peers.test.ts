// 1000 host peers with 4 vectors each on one server. The peers live in a
// child process (swarm-child.js) that closes every fd it receives, so this
// process holds the server's fds only and its fd count can be checked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createServer } from '../../src/server/index.js';
import { openFdCount, tempDir, waitFor } from './helpers.js';

const PEERS = 1000;
const VECTORS = 4;

test(`${PEERS} peers with ${VECTORS} vectors join one server, get distinct ids, and leave no fd behind`, {
  timeout: 240_000,
}, async (t) => {
  const dir = tempDir(t);
  const child = spawn(process.execPath, [fileURLToPath(new URL('./swarm-child.js', import.meta.url))], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  t.after(() => {
    child.stdin.end();
    child.kill('SIGKILL');
  });
  const replies = createInterface({ input: child.stdout });
  const pending: ((line: string) => void)[] = [];
  replies.on('line', (line) => pending.shift()?.(line));
  const ask = (command: string): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`the peer process exited (${code})`)));
      pending.push((line) => resolve(JSON.parse(line) as Record<string, unknown>));
      child.stdin.write(`${command}\n`);
    });

  const beforeServer = openFdCount();
  const server = createServer({
    socketPath: join(dir, 'sock'),
    memory: { kind: 'memfd', size: 1 << 20 },
    vectors: VECTORS,
  });
  t.after(() => server.close());
  const left: string[] = [];
  server.on('peer-left', (_peer, reason) => left.push(reason));
  await server.listen();
  const listening = openFdCount();

  const joined = await ask(`join ${server.socketPath} ${PEERS} ${VECTORS}`);
  assert.equal(joined.error, undefined, String(joined.error));
  const ids = joined.ids as number[];
  t.diagnostic(`${PEERS} joins took ${joined.ms} ms`);
  assert.equal(ids.length, PEERS);
  assert.equal(new Set(ids).size, PEERS, 'ids are not distinct');
  assert.deepEqual(
    ids,
    Array.from({ length: PEERS }, (_, i) => i),
    'rotate hands out 0, 1, 2, ...',
  );
  assert.equal(joined.dropped, 0);
  assert.deepEqual(left, [], 'no peer was dropped');
  assert.equal(server.peers.size, PEERS);
  assert.deepEqual(
    [...server.peers.keys()].sort((a, b) => a - b),
    ids,
  );
  assert.ok([...server.peers.values()].every((peer) => peer.vectors === VECTORS));
  // The server holds one socket and VECTORS eventfds per peer, no more.
  assert.equal(openFdCount(), listening + PEERS * (1 + VECTORS));

  assert.deepEqual(await ask('close'), { closed: PEERS });
  await waitFor(
    () => server.peers.size === 0,
    () => `every peer to leave (${server.peers.size} left)`,
    20_000,
  );
  assert.equal(left.length, PEERS);
  assert.equal(openFdCount(), listening, 'fds after every peer left');
  await server.close();
  assert.equal(openFdCount(), beforeServer, 'fds after close');
});
