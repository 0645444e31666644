// A client whose shared memory is cut (by any peer: all hold the fd) lives
// on: its windows read zeros, it says 'shrunk', and once the size is back it
// maps them again and says 'restored'. famez server (plain memory, which it
// never maps) serves on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { connect, MemoryCutError } from '../../src/client/index.js';
import { createServer } from '../../src/server/index.js';
import * as sys from '../../src/sys/index.js';
import { fdBaseline, tempDir, waitFor } from '../server/helpers.js';

test('a client whose memory is cut to 0 reports it, reads zeros, and maps it back once restored; the server serves on', {
  timeout: 30_000,
}, async (t) => {
  const fds = fdBaseline();
  const dir = tempDir(t);
  const server = createServer({ socketPath: join(dir, 'sock'), memory: { kind: 'memfd', size: 64 * 1024 } });
  await server.listen();
  t.after(() => server.close());
  const client = await connect({ path: join(dir, 'sock'), timeoutMs: 5000 });
  const events: string[] = [];
  client.on('memory', (change, size) => events.push(`${change} ${size}`));
  const view = client.memory.map(4096, 8192);
  view.fill(7);

  sys.truncate(client.memory.fd, 0);
  assert.equal(view[8191], 0, 'a cut window reads zeros: no SIGBUS');
  view[0] = 1;
  await waitFor(() => events.length === 1, 'the shrunk event', 5000);
  assert.deepEqual(events, ['shrunk 0']);
  assert.equal(client.memory.shrunk, true);

  assert.throws(
    () => client.memory.map(0, 4096),
    (error: Error) =>
      error instanceof MemoryCutError && /cut by another process \(0 of 65536 bytes left\)/.test(error.message),
    'no new window while it is cut: a clear error, not mmap EINVAL',
  );

  sys.truncate(client.memory.fd, 64 * 1024);
  await waitFor(() => events.length === 2, 'the restored event', 5000);
  assert.deepEqual(events, ['shrunk 0', `restored ${64 * 1024}`]);
  assert.equal(client.memory.shrunk, false);
  view[5] = 9;
  const other = await connect({ path: join(dir, 'sock'), timeoutMs: 5000 });
  assert.equal(
    other.memory.map(4096, 4096)[5],
    9,
    'the window maps the memory again, and the server still admits peers',
  );
  other.close();
  client.close();
  await server.close();
  await fds.check();
});
