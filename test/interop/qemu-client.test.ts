// QEMU's own ivshmem-client (built from QEMU 7.2's source), unchanged, against
// `famez server`: it joins, dumps the same peer table famez holds, and rings
// and is rung by other QEMU clients and famez clients in every direction.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { connect } from '../../src/index.js';
import { Famez } from '../cli/cli.js';
import { waitFor } from '../helpers/fds.js';
import { doorbell, type Dump, QemuClient, skip, useQemuTools } from './tools.js';

const dir = useQemuTools();
let sockets = 0;

/** `famez server` (the CLI, as users run it) with 1 MiB and two vectors per peer. */
async function famezServer(t: TestContext): Promise<{ server: Famez; socketPath: string }> {
  const socketPath = join(dir, `sock${sockets++}`);
  const server = new Famez(t, ['server', '-S', socketPath, '-m', dir, '-l', '1M', '-n', '2']);
  await server.line(/listening on/);
  return { server, socketPath };
}

async function qemuClient(t: TestContext, socketPath: string): Promise<QemuClient> {
  const client = new QemuClient(t, socketPath);
  await client.connected();
  return client;
}

/**
 * QEMU's client learns of peers asynchronously: dumps until each of `clients` knows `count` peers (itself included).
 */
function knowAll(clients: QemuClient[], count: number): Promise<Dump[]> {
  return waitFor(
    async () => {
      const dumps: Dump[] = [];
      for (const client of clients) dumps.push(await client.dump());
      return dumps.every((dump) => dump.peers.size === count) && dumps;
    },
    `${clients.length} QEMU client(s) to know all ${count} peers`,
    10_000,
    50,
  );
}

test("QEMU's ivshmem-client joins famez server and dumps the peer table famez holds", {
  skip,
  timeout: 60_000,
}, async (t) => {
  const { server, socketPath } = await famezServer(t);
  const a = await qemuClient(t, socketPath);
  const b = await qemuClient(t, socketPath);
  const host = await connect({ path: socketPath });
  t.after(() => host.close());

  const [dumpA, dumpB] = await knowAll([a, b], 3);
  // famez hands out ids as QEMU's server does: 0, 1, 2 in order of arrival.
  assert.deepEqual([dumpA.ourId, dumpB.ourId, host.id], [0, 1, 2]);
  await server.line(/peer 1 joined \(pid \d+/);
  for (const dump of [dumpA, dumpB]) {
    assert.deepEqual([...dump.peers.keys()].sort(), [0, 1, 2], `every peer in ${dump.lines.join(' | ')}`);
    for (const [id, fds] of dump.peers) {
      assert.equal(fds.length, 2, `peer ${id} has both vectors`);
      assert.ok(
        fds.every((fd) => fd > 2),
        `fds ${fds} are real descriptors`,
      );
    }
  }
  assert.deepEqual(
    [...host.peers].sort(),
    [
      [0, 2],
      [1, 2],
      [2, 2],
    ],
    'the famez client sees the same table',
  );
});

test("QEMU's ivshmem-client and famez clients ring each other in every direction through famez server", {
  skip,
  timeout: 60_000,
}, async (t) => {
  const { socketPath } = await famezServer(t);
  const a = await qemuClient(t, socketPath);
  const b = await qemuClient(t, socketPath);
  const host = await connect({ path: socketPath });
  t.after(() => host.close());
  const [idA, idB] = (await knowAll([a, b], 3)).map((dump) => dump.ourId) as [number, number];
  assert.ok(host.peers.has(idA) && host.peers.has(idB), 'the host heard of both QEMU clients in its handshake');

  await b.hears(() => a.send(`int ${idB} 1`), idB, 1);
  await a.hears(() => b.send(`int ${idA} 0`), idA, 0);

  const rung = doorbell(host, 1);
  a.send(`int ${host.id} 1`);
  await rung;

  await a.hears(() => host.ring(idA, 1), idA, 1);

  // int all: every vector of every other peer, the famez client included.
  const both = Promise.all([doorbell(host, 0), doorbell(host, 1)]);
  await a.hears(() => b.send('int all'), idA, 0, 1);
  await both;

  await b.hears(() => host.ring(idB, 'all'), idB, 0, 1);

  // A peer QEMU's client does not know gets QEMU's own answer, and no doorbell.
  const mark = a.stdout.length;
  a.send('int 999 0');
  await a.line(/cannot find peer_id = 999$/, 10_000, mark);
});

test("QEMU's ivshmem-client follows peers leaving and joining famez server", { skip, timeout: 60_000 }, async (t) => {
  const { socketPath } = await famezServer(t);
  const a = await qemuClient(t, socketPath);
  const b = await qemuClient(t, socketPath);
  const host = await connect({ path: socketPath });
  const idB = (await b.dump()).ourId;
  const hasPeers = async (ids: number[]): Promise<boolean> =>
    JSON.stringify([...(await a.dump()).peers.keys()].sort()) === JSON.stringify(ids);
  await waitFor(
    () => hasPeers([0, 1, 2]),
    "QEMU's client to learn of both other peers (it hears of them asynchronously)",
    10_000,
    50,
  );

  host.close();
  b.child.kill('SIGKILL');
  await waitFor(() => hasPeers([0]), "QEMU's client to drop the famez client and the killed QEMU client", 10_000, 50);

  const late = await connect({ path: socketPath });
  t.after(() => late.close());
  assert.equal(late.id, 3, "ids rotate, as with QEMU's server");
  await waitFor(() => hasPeers([0, 3]), "QEMU's client to see the newcomer", 10_000, 50);
  assert.ok(!late.peers.has(idB));
  await a.hears(() => late.ring(0, 0), 0, 0);
});
