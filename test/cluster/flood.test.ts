// Bounded: a rogue on NATS (no permissions to stop it) publishing as fast as
// it can barely moves a famez fabric's event loop and memory. The fabric is
// its own process, as users run it; the rogue another.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectFabric, type ChatMessage, type FabricPeer } from '../../src/fabric/index.js';
import { LineProcess } from '../helpers/line-process.js';
import { tempDir } from '../server/helpers.js';
import { NatsServer, natsMissing } from './nats-server.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const MAIN = join(HERE, '../../src/cli/main.js');

const rssMb = (pid: number): number =>
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

/** Round trips of pings to the switch for `ms`, in ms each. */
async function pings(peer: FabricPeer, ms: number): Promise<number[]> {
  const times: number[] = [];
  const end = performance.now() + ms;
  while (performance.now() < end) {
    const start = performance.now();
    const pong = new Promise<void>((resolve) => {
      const heard = (message: ChatMessage): void => {
        if (message.from !== peer.serverId || message.body !== 'pong') return;
        peer.off('message', heard);
        resolve();
      };
      peer.on('message', heard);
    });
    await peer.send(peer.serverId, 'ping');
    await pong;
    times.push(performance.now() - start);
  }
  return times;
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

test('a rogue publishing as fast as it can raises the fabric’s event-loop lag by under 50 ms and its RSS by under 50 MB', {
  timeout: 120_000,
  skip: natsMissing,
}, async (t) => {
  const dir = tempDir(t);
  // NATS as docs/cluster.md sets it up (max_payload), but without permissions: anyone may publish anything.
  writeFileSync(join(dir, 'nats.conf'), 'max_payload: 131072\n');
  const nats = await NatsServer.start(t, ['-c', join(dir, 'nats.conf')]);
  const fabric = new LineProcess(t, 'famez fabric', process.execPath, [
    MAIN,
    ...['fabric', '-S', join(dir, 'a.sock'), '-M', join(dir, 'a.mailbox')],
    ...['--cluster', nats.url, '--cluster-name', 'flood', '--node', 'victim'],
  ]);
  await fabric.line(/node victim of cluster flood/, 20_000);
  const peer = await connectFabric({ path: join(dir, 'a.sock') });
  t.after(() => peer.close());
  await pings(peer, 1000);
  const before = { lag: median(await pings(peer, 1500)), rss: rssMb(fabric.pid!) };

  // Niced: it takes what CPU the fabric leaves, so that what is measured is famez's cost of its traffic,
  // not the scheduler sharing two cores between them.
  const rogue = new LineProcess(t, 'rogue', 'nice', [
    ...['-n', '19', process.execPath],
    join(HERE, 'rogue-flood.js'),
    nats.url,
    'flood',
    'victim',
    '4',
  ]);
  await new Promise((resolve) => setTimeout(resolve, 500));
  const during = median(await pings(peer, 2500));
  const { sent } = JSON.parse(await rogue.line(/^\{"sent"/, 30_000)) as { sent: number };
  // Garbage is not growth: what stays is measured once the fabric has had a moment to collect it.
  await pings(peer, 3000);
  const after = rssMb(fabric.pid!);
  t.diagnostic(
    `rogue: ${sent} messages; ping ${before.lag.toFixed(2)} -> ${during.toFixed(2)} ms; RSS ${before.rss.toFixed(1)} -> ${after.toFixed(1)} MB`,
  );
  assert.ok(sent > 10_000, `the rogue sent ${sent} messages`);
  assert.ok(
    during - before.lag < 50,
    `ping ${before.lag.toFixed(2)} ms before, ${during.toFixed(2)} ms during the flood`,
  );
  assert.ok(after - before.rss < 50, `RSS ${before.rss.toFixed(1)} MB before, ${after.toFixed(1)} MB after`);
  const lines = fabric.stdout.join('\n');
  assert.ok(fabric.stdout.length < 60, `the fabric's log stays short: ${fabric.stdout.length} lines\n${lines}`);
});
