// `famez server --cluster`: two famez servers joined only through a real
// nats-server; a client on each rings the other.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type Doorbell, type FamezClient } from '../../src/client/index.js';
import { listenClusteredServer, type ClusteredServer } from '../../src/cluster/index.js';
import type { ClusterOptions } from '../../src/cluster/index.js';
import { tempDir, waitFor } from '../server/helpers.js';
import { NatsServer, natsMissing } from './nats-server.js';

async function host(
  t: import('node:test').TestContext,
  dir: string,
  node: string,
  cluster: Omit<ClusterOptions, 'node'>,
): Promise<ClusteredServer> {
  const shm = `famez-cluster-${process.pid}-${node}`;
  const clustered = await listenClusteredServer(
    {
      socketPath: join(dir, `${node}.sock`),
      memory: { kind: 'shm', name: shm, size: 65536 },
      vectors: 4,
      listenFd: 'none',
    },
    { ...cluster, node },
  );
  t.after(async () => {
    await clustered.close();
    // The server keeps a shm object after close (a restart finds the data): the test made it, the test removes it.
    rmSync(`/dev/shm/${shm}`, { force: true });
  });
  return clustered;
}

test('two servers joined only through nats-server: a client on each rings the other', {
  timeout: 60_000,
  skip: natsMissing,
}, async (t) => {
  const nats = await NatsServer.start(t);
  const dir = tempDir(t);
  const cluster = { url: nats.url, name: 'ring', timeoutMs: 2000 };
  const a = await host(t, dir, 'a', cluster);
  const b = await host(t, dir, 'b', cluster);
  const clientA: FamezClient = await connect({ path: a.server.socketPath });
  t.after(() => clientA.close());
  const clientB: FamezClient = await connect({ path: b.server.socketPath });
  t.after(() => clientB.close());
  assert.notEqual(clientA.id, clientB.id, 'ids are unique across the cluster');
  await waitFor(
    () => clientA.peers.has(clientB.id) && clientB.peers.has(clientA.id),
    'each client to hear of the other as a peer',
  );

  const heardB: Doorbell[] = [];
  const heardA: Doorbell[] = [];
  clientB.on('doorbell', (doorbell) => heardB.push(doorbell));
  clientA.on('doorbell', (doorbell) => heardA.push(doorbell));
  clientA.ring(clientB.id, 2);
  await waitFor(() => heardB.length > 0, 'B to be rung on vector 2 from the other host', 10_000);
  assert.deepEqual(heardB, [{ vector: 2, count: 1 }]);
  clientB.ring(clientA.id, 3);
  await waitFor(() => heardA.length > 0, 'A to be rung on vector 3 from the other host', 10_000);
  assert.deepEqual(heardA, [{ vector: 3, count: 1 }]);

  // B's host leaves cleanly: A's client hears B's peer leave.
  const gone = new Promise<number>((resolve) => clientA.on('peer-gone', resolve));
  await b.close();
  assert.equal(await gone, clientB.id);
});

test('a second instance with the same node name is refused in one line', {
  timeout: 60_000,
  skip: natsMissing,
}, async (t) => {
  const nats = await NatsServer.start(t);
  const dir = tempDir(t);
  await host(t, dir, 'same', { url: nats.url, name: 'twice' });
  await assert.rejects(
    host(t, dir, 'same', { url: nats.url, name: 'twice' }),
    (error: Error) =>
      /^node "same" is already in cluster "twice": .*give this one another --node$/.test(error.message) &&
      !error.message.includes('\n'),
  );
});

test('a peer that finds no id is told why: every id of the range is taken across the cluster, or NATS is out of reach', {
  timeout: 60_000,
  skip: natsMissing,
}, async (t) => {
  const nats = await NatsServer.start(t);
  const dir = tempDir(t);
  const refusals = (clustered: ClusteredServer): string[] => {
    const reasons: string[] = [];
    clustered.server.on('peer-refused', (_who, reason) => reasons.push(reason));
    return reasons;
  };
  const tryJoin = async (clustered: ClusteredServer): Promise<void> => {
    const client = await connect({ path: clustered.server.socketPath }).catch(() => undefined);
    if (client) t.after(() => client.close());
  };
  // Ids 1 and 2 only: the first host claims both ahead.
  const first = await listenClusteredServer(
    {
      socketPath: join(dir, 'f.sock'),
      memory: { kind: 'memfd', size: 65536 },
      idRange: { first: 1, last: 2 },
      listenFd: 'none',
    },
    { url: nats.url, name: 'few', node: 'first', timeoutMs: 2000 },
  );
  t.after(() => first.close());
  const second = await listenClusteredServer(
    {
      socketPath: join(dir, 's.sock'),
      memory: { kind: 'memfd', size: 65536 },
      idRange: { first: 1, last: 2 },
      listenFd: 'none',
    },
    { url: nats.url, name: 'few', node: 'second', timeoutMs: 2000 },
  );
  t.after(() => second.close());
  const refused = refusals(second);
  // The first host holds both as spares: it gives one up, and the peer on the second joins.
  const onSecond = await connect({ path: second.server.socketPath });
  t.after(() => onSecond.close());
  const onFirst = await connect({ path: first.server.socketPath });
  t.after(() => onFirst.close());
  assert.deepEqual([onSecond.id, onFirst.id].sort(), [1, 2]);
  // Every id a peer's: the next is refused, saying so.
  await tryJoin(second);
  await waitFor(() => refused.length === 1, 'the refusal', 10_000);
  assert.equal(
    refused[0],
    'no cluster id free: ids 1 to 2 of cluster few are held, 2 by peers and 0 as spares no host gave up in time: wait for peers to leave, or start with more ids',
  );

  await nats.stop();
  await waitFor(() => second.node.noFreeId().includes('out of reach'), 'the host to see NATS gone', 10_000);
  await tryJoin(second);
  await waitFor(() => refused.length === 2, 'the second refusal', 10_000);
  assert.match(
    refused[1]!,
    /^no cluster id free on this host: ids are claimed ahead from NATS at nats:\/\/127\.0\.0\.1:\d+, which is out of reach: the peer can join once NATS is back$/,
  );
});
