// QEMU's own ivshmem-client (built from QEMU 7.2's source), unchanged, against
// `famez server`: it joins, dumps the same peer table famez holds, and rings
// and is rung by other QEMU clients and famez clients in every direction.
// Fails rather than skips when the tools cannot be built; FAMEZ_E2E=0 leaves
// it out explicitly, like the guest tests.
import { test, before, after, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '../../src/index.js';
import { Famez } from '../cli/cli.js';
import { waitFor } from '../helpers/fds.js';
import { doorbell, ensureQemuTools, pollUntil, QemuClient, type QemuTools } from './tools.js';

const skip = process.env.FAMEZ_E2E === '0' ? 'FAMEZ_E2E=0' : false;
const dir = mkdtempSync(join(tmpdir(), 'famez-interop-'));
let tools: QemuTools;
let sockets = 0;

before(async () => {
  if (!skip) tools = await ensureQemuTools();
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** `famez server` (the CLI, as users run it) with 1 MiB and two vectors per peer. */
async function famezServer(t: TestContext): Promise<{ server: Famez; socketPath: string }> {
  const socketPath = join(dir, `sock${sockets++}`);
  const server = new Famez(t, ['server', '-S', socketPath, '-m', dir, '-l', '1M', '-n', '2']);
  await server.line(/listening on/);
  return { server, socketPath };
}

async function qemuClient(t: TestContext, socketPath: string): Promise<QemuClient> {
  const client = new QemuClient(t, tools, socketPath);
  await client.connected();
  return client;
}

test('QEMU\'s ivshmem-client joins famez server and dumps the peer table famez holds', { skip, timeout: 60_000 }, async (t) => {
  const { server, socketPath } = await famezServer(t);
  const a = await qemuClient(t, socketPath);
  const b = await qemuClient(t, socketPath);
  const host = await connect({ path: socketPath });
  t.after(() => host.close());

  // QEMU's client learns of peers asynchronously: dump until the table is complete.
  let [dumpA, dumpB] = [await a.dump(), await b.dump()];
  await pollUntil(async () => {
    [dumpA, dumpB] = [await a.dump(), await b.dump()];
    return dumpA.peers.size === 3 && dumpB.peers.size === 3;
  }, 'both QEMU clients to know all three peers');
  // famez hands out ids as QEMU's server does: 0, 1, 2 in order of arrival.
  assert.deepEqual([dumpA.ourId, dumpB.ourId, host.id], [0, 1, 2]);
  await server.line(/peer 1 joined \(pid \d+/);
  for (const dump of [dumpA, dumpB]) {
    assert.deepEqual([...dump.peers.keys()].sort(), [0, 1, 2], `every peer in ${dump.lines.join(' | ')}`);
    for (const [id, fds] of dump.peers) {
      assert.equal(fds.length, 2, `peer ${id} has both vectors`);
      assert.ok(fds.every((fd) => fd > 2), `fds ${fds} are real descriptors`);
    }
  }
  assert.deepEqual([...host.peers].sort(), [[0, 2], [1, 2], [2, 2]], 'the famez client sees the same table');
});

test('QEMU\'s ivshmem-client and famez clients ring each other in every direction through famez server', { skip, timeout: 60_000 }, async (t) => {
  const { socketPath } = await famezServer(t);
  const a = await qemuClient(t, socketPath);
  const b = await qemuClient(t, socketPath);
  const host = await connect({ path: socketPath });
  t.after(() => host.close());
  const [idA, idB] = [(await a.dump()).ourId, (await b.dump()).ourId];
  await waitFor(() => host.peers.has(idA) && host.peers.has(idB), 'the host to see both QEMU clients');

  let mark = b.stdout.length;
  a.send(`int ${idB} 1`);
  await b.notification(idB, 1, mark);

  mark = a.stdout.length;
  b.send(`int ${idA} 0`);
  await a.notification(idA, 0, mark);

  const rung = doorbell(host, 1);
  a.send(`int ${host.id} 1`);
  await rung;

  mark = a.stdout.length;
  host.ring(idA, 1);
  await a.notification(idA, 1, mark);

  // int all: every vector of every other peer, the famez client included.
  const [markA, both] = [a.stdout.length, Promise.all([doorbell(host, 0), doorbell(host, 1)])];
  b.send('int all');
  await Promise.all([a.notification(idA, 0, markA), a.notification(idA, 1, markA), both]);

  mark = b.stdout.length;
  host.ring(idB, 'all');
  await Promise.all([b.notification(idB, 0, mark), b.notification(idB, 1, mark)]);

  // A peer QEMU's client does not know gets QEMU's own answer, and no doorbell.
  mark = a.stdout.length;
  a.send('int 999 0');
  await a.line(/cannot find peer_id = 999$/, 10_000, mark);
});

test('QEMU\'s ivshmem-client follows peers leaving and joining famez server', { skip, timeout: 60_000 }, async (t) => {
  const { socketPath } = await famezServer(t);
  const a = await qemuClient(t, socketPath);
  const b = await qemuClient(t, socketPath);
  const host = await connect({ path: socketPath });
  const idB = (await b.dump()).ourId;
  const hasPeers = async (ids: number[]): Promise<boolean> =>
    JSON.stringify([...(await a.dump()).peers.keys()].sort()) === JSON.stringify(ids);
  assert.ok(await hasPeers([0, 1, 2]));

  host.close();
  b.child.kill('SIGKILL');
  await pollUntil(() => hasPeers([0]), 'QEMU\'s client to drop the famez client and the killed QEMU client');

  const late = await connect({ path: socketPath });
  t.after(() => late.close());
  assert.equal(late.id, 3, 'ids rotate, as with QEMU\'s server');
  await pollUntil(() => hasPeers([0, 3]), 'QEMU\'s client to see the newcomer');
  assert.ok(!late.peers.has(idB));
  const mark = a.stdout.length;
  late.ring(0, 0);
  await a.notification(0, 0, mark);
});
