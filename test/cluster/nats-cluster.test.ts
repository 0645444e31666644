// A fabric on a NATS cluster, as people deploy it for no single point of
// failure: three nats-servers joined by routes, JetStream clustered, the
// bucket on all three; each host's famez fabric on a different server. One
// server is killed while C peers message each other across hosts.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { compileC } from '../../bench/lib.js';
import { LineProcess } from '../helpers/line-process.js';
import { countRounds, fabricProcess } from './processes.js';
import { connect as natsConnect } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import { tempDir, waitFor } from '../server/helpers.js';
import { freePort, NatsServer, natsMissing } from './nats-server.js';

/** Three servers joined by routes, once JetStream has a leader (a bucket on all three can be made). */
async function natsCluster(t: TestContext): Promise<NatsServer[]> {
  const routes = await Promise.all([0, 1, 2].map(() => freePort()));
  const route = (i: number): string => `nats://127.0.0.1:${routes[i]}`;
  const servers = await Promise.all(
    [0, 1, 2].map((i) =>
      NatsServer.start(t, [
        ...['--server_name', `s${i}`, '--cluster_name', 'famez-test'],
        ...[
          '--cluster',
          route(i),
          '--routes',
          [0, 1, 2]
            .filter((j) => j !== i)
            .map(route)
            .join(','),
        ],
      ]),
    ),
  );
  const nc = await natsConnect({ servers: servers[0]!.url });
  try {
    await waitFor(
      () =>
        new Kvm(nc)
          .create('famez-test-ready', { replicas: 3 })
          .then(() => true)
          .catch(() => false),
      'JetStream to elect its leader on the three servers',
      60_000,
      250,
    );
  } finally {
    await nc.close();
  }
  return servers;
}

const fabric = (t: TestContext, dir: string, node: string, url: string): LineProcess =>
  fabricProcess(t, dir, 'routed', node, url, ['--cluster-replicas', '3']);

test('three nats-servers joined by routes: hosts on different servers form one fabric; one server killed while messages flow, the fabric goes on, nothing doubled; its return changes nothing', {
  timeout: 300_000,
  skip: natsMissing,
}, async (t) => {
  const peer = compileC('mailbox-peer');
  const servers = await natsCluster(t);
  const dir = tempDir(t);
  const a = fabric(t, dir, 'a', servers[0]!.url);
  await a.line(/node a of cluster routed/, 60_000);
  const b = fabric(t, dir, 'b', servers[1]!.url);
  await b.line(/node b of cluster routed/, 60_000);
  await a.line(/host b joined the fabric/, 20_000);
  const ponger = new LineProcess(t, 'ponger', peer, [join(dir, 'b.sock'), 'pong']);
  const target = Number((await ponger.line(/^ready \d+/, 20_000)).split(' ')[1]);
  await a.line(new RegExp(`remote peer ${target}\\b.* on host b`), 20_000);
  assert.deepEqual(await countRounds(t, peer, join(dir, 'a.sock'), target, 500), {
    rounds: 500,
    lost: 0,
    doubled: 0,
    stale: 0,
  });

  // Host a's server dies while a sender runs: a moves to another server.
  const during = countRounds(t, peer, join(dir, 'a.sock'), target, 3000).catch((error: Error) => {
    throw new Error(`${error.message}\nhost a: ${a.stdout.join('\n')}\nhost b: ${b.stdout.join('\n')}`);
  });
  await new Promise((resolve) => setTimeout(resolve, 300));
  await servers[0]!.stop();
  const counted = await during;
  assert.equal(counted.doubled, 0, JSON.stringify(counted));
  assert.ok(counted.lost <= 5, `only what was in flight is lost: ${JSON.stringify(counted)}`);
  await a.line(/NATS at .* reachable again/, 30_000);
  assert.deepEqual(await countRounds(t, peer, join(dir, 'a.sock'), target, 500), {
    rounds: 500,
    lost: 0,
    doubled: 0,
    stale: 0,
  });

  // Its return changes nothing.
  await servers[0]!.restart();
  assert.deepEqual(await countRounds(t, peer, join(dir, 'a.sock'), target, 500), {
    rounds: 500,
    lost: 0,
    doubled: 0,
    stale: 0,
  });
  assert.ok(!a.stdout.some((line) => /left the fabric/.test(line)), a.stdout.join('\n'));
});
