// Exactly once across hosts, as users run it: each host's `famez fabric
// --cluster` its own process, FAME-Z C mailbox peers that send the moment
// they have joined. The first message of a peer that has just joined reaches
// the other host while that host may still be checking the peer's claim: it
// waits for the check, it is not dropped.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { compileC } from '../../bench/lib.js';
import { LineProcess } from '../helpers/line-process.js';
import { countRounds, fabricProcess } from './processes.js';
import { tempDir } from '../server/helpers.js';
import { NatsServer, natsMissing } from './nats-server.js';

const ROUNDS = Number(process.env.FAMEZ_EXACT_ROUNDS ?? 10_000);

async function host(t: TestContext, dir: string, node: string, url: string): Promise<LineProcess> {
  const fabric = fabricProcess(t, dir, 'exact', node, url);
  await fabric.line(new RegExp(`node ${node} of cluster exact`), 20_000);
  return fabric;
}

test('across two famez processes, C peers that send on join: every numbered round trip once, none lost, none doubled', {
  timeout: 600_000,
  skip: natsMissing,
}, async (t) => {
  const peer = compileC('mailbox-peer');
  const nats = await NatsServer.start(t);
  const dir = tempDir(t);
  const a = await host(t, dir, 'a', nats.url);
  const b = await host(t, dir, 'b', nats.url);
  await a.line(/host b joined the fabric/, 20_000);
  const ponger = new LineProcess(t, 'ponger', peer, [join(dir, 'b.sock'), 'pong']);
  const target = Number((await ponger.line(/^ready \d+/, 20_000)).split(' ')[1]);
  await a.line(new RegExp(`remote peer ${target}\\b.* on host b`), 20_000);

  // Fresh senders, each joining and sending at once: the race of a first message with its claim's check.
  for (let i = 0; i < 8; i++) {
    const first = await countRounds(t, peer, join(dir, 'a.sock'), target, 3);
    assert.deepEqual(first, { rounds: 3, lost: 0, doubled: 0, stale: 0 }, `sender ${i}`);
  }
  const all = await countRounds(t, peer, join(dir, 'a.sock'), target, ROUNDS);
  assert.deepEqual(all, { rounds: ROUNDS, lost: 0, doubled: 0, stale: 0 });

  // Said out loud: NATS lost and back, a host leaving.
  await nats.stop();
  await a.line(/warning: NATS at nats:\/\/127\.0\.0\.1:\d+ unreachable: local traffic goes on/, 20_000);
  await nats.restart();
  await a.line(/NATS at nats:\/\/127\.0\.0\.1:\d+ reachable again: hosts re-announced, fault changes re-sent/, 20_000);
  await b.line(/NATS at .* reachable again/, 20_000);
  process.kill(b.pid, 'SIGTERM');
  await a.line(/host b left the fabric: node b left/, 20_000);
});
