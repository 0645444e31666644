// famez server --switched as users run it: a bad fabric file is refused
// with the field and the reason; under a low RLIMIT_NOFILE a peer whose
// switched doorbells would not fit is refused with the numbers, and the
// peers already in keep ringing each other through the server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type FamezClient } from '../../src/client/index.js';
import { LineProcess } from '../helpers/line-process.js';
import { tempDir, waitFor } from '../server/helpers.js';
import { famez, MAIN } from './cli.js';

test('famez server: --fabric-file is checked (field and reason, status 2); --seed needs --switched', (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'fabric.json');
  writeFileSync(file, JSON.stringify({ switches: ['left', 'right'], links: [{ between: ['left', 'middle'] }] }));
  const bad = famez(['server', '--switched', '--fabric-file', file, '-S', join(dir, 'sock')]);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--fabric-file .*: links\[0\]\.between\[1\]: no switch "middle" \(switches: left, right\)/);
  assert.equal(famez(['fabric', '--seed', '1']).status, 2);
  assert.match(famez(['server', '--help']).stdout, /--switched/);
});

test('famez server --switched under prlimit: a peer that would not fit is refused with the numbers; the others keep ringing', async (t) => {
  const dir = tempDir(t);
  const socket = join(dir, 'sock');
  const server = new LineProcess(t, 'famez', 'prlimit', [
    '--nofile=200:200',
    process.execPath,
    MAIN,
    'server',
    '--switched',
    '-n',
    '8',
    '-S',
    socket,
    '-M',
    `famez-switched-${process.pid}`,
    '-l',
    '64K',
    '--ids',
    'lowest',
  ]);
  t.after(() => rmSync(`/dev/shm/famez-switched-${process.pid}`, { force: true }));
  await server.line(/listening on/);
  const clients: FamezClient[] = [];
  t.after(() => clients.forEach((client) => client.close()));
  let refusal: Error | undefined;
  while (!refusal && clients.length < 20) {
    try {
      clients.push(await connect({ path: socket, timeoutMs: 5000 }));
    } catch (error) {
      refusal = error as Error;
    }
  }
  assert.ok(refusal, 'a peer was refused');
  assert.ok(clients.length >= 2, `${clients.length} peers joined first`);
  const line = await server.line(/peer refused/);
  // Refused with the numbers: by the switched lines' budget, or by the fds held back for joins when those run out
  // first.
  assert.match(
    line,
    /switched doorbells need \d+ more fds for this peer, with \d+ open and a limit \(RLIMIT_NOFILE\) of 200|out of file descriptors \(the \d+ fds held back for joins are spent\): raise the limit/,
  );
  const [a, b] = clients;
  await waitFor(() => a!.peers.has(b!.id), 'a to know b');
  const rung = new Promise((resolve) => b!.once('doorbell', resolve));
  a!.ring(b!.id, 7);
  assert.deepEqual(await rung, { vector: 7, count: 1 });
  clients.forEach((client) => client.close());
  process.kill(server.pid, 'SIGTERM');
  assert.equal((await server.exit()).code, 0);
});
