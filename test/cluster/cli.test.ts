// The --cluster options of the CLI, and a host that crashes: `famez fabric
// --cluster` in a child process, killed with SIGKILL (no goodbye).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectFabric } from '../../src/fabric/index.js';
import { LineProcess } from '../helpers/line-process.js';
import { tempDir, waitFor } from '../server/helpers.js';
import { fabricHost } from './hosts.js';
import { NatsServer, natsMissing } from './nats-server.js';

const MAIN = join(dirname(fileURLToPath(import.meta.url)), '../../src/cli/main.js');

function famez(args: string[]): { status: number | null; stderr: string } {
  const run = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 20_000 });
  return { status: run.status, stderr: run.stderr };
}

test('cluster options without --cluster, or with a bad name, are refused in one line naming the option', {
  timeout: 60_000,
}, () => {
  for (const [args, message] of [
    [['server', '--node', 'x'], /^famez server: --node needs --cluster URL: give the NATS server to join\n$/],
    [['fabric', '--cluster-name', 'y'], /^famez fabric: --cluster-name needs --cluster URL/],
    [
      ['fabric', '--cluster', 'nats://127.0.0.1:1', '--node', 'a.b'],
      /^famez fabric: node name "a\.b": use 1-64 letters, digits, - or _ .*; set --node\n$/,
    ],
    [
      ['server', '--cluster', 'nats://127.0.0.1:1', '--cluster-timeout', '10'],
      /invalid value "10" for --cluster-timeout: expected an integer from 1000 to 3600000/,
    ],
  ] as const) {
    const { status, stderr } = famez([...args]);
    assert.equal(status, 2, `${args.join(' ')}: ${stderr}`);
    assert.match(stderr, message);
    assert.equal(stderr.trim().split('\n').length, 1, stderr);
  }
});

test("a host killed without a goodbye: messages to its peers fail in the sender's time-out, its peers leave after the cluster time-out, its name is free again after it", {
  timeout: 120_000,
  skip: natsMissing,
}, async (t) => {
  const nats = await NatsServer.start(t);
  const dir = tempDir(t);
  const args = [
    'fabric',
    '-S',
    join(dir, 'a.sock'),
    '-M',
    join(dir, 'a.mailbox'),
    '--cluster',
    nats.url,
    '--cluster-name',
    'fab',
    '--node',
    'a',
    '--cluster-timeout',
    '1500',
  ];
  const child = new LineProcess(t, 'famez fabric a', process.execPath, [MAIN, ...args]);
  await child.line(/node a of cluster fab at nats:\/\/127\.0\.0\.1:\d+ \(hosts silent for 1500 ms leave\)/, 20_000);
  const b = await fabricHost(t, dir, 'b', nats.url, 1500);
  const onA = await connectFabric({ path: join(dir, 'a.sock') });
  t.after(() => onA.close());
  const onB = await connectFabric({ path: b.fabric.socketPath, replyTimeoutMs: 500 });
  t.after(() => onB.close());
  await waitFor(() => onB.client.peers.has(onA.id), "B's peer to know A's", 10_000);
  await waitFor(() => onA.client.peers.has(onB.id), "A's peer to know B's", 10_000);
  await onB.send(onA.id, 'ping');
  await waitFor(() => b.fabric.mailbox.isFree(onB.id), 'the ping to be taken on host a', 10_000);

  child.child.kill('SIGKILL');
  await child.exit();
  const refused = famez(args);
  assert.equal(refused.status, 1, refused.stderr);
  assert.match(
    refused.stderr,
    /node "a" is already in cluster "fab": .*within 1500 ms\): give this one another --node\n$/,
  );
  await assert.rejects(onB.send(onA.id, 'to a dead host'), /did not take the message within 500 ms/);
  await waitFor(() => !b.fabric.server.peers.has(onA.id), "A's peer to leave host b after the time-out", 10_000);

  // Its name was claimed until the claim expired: a new `--node a` then joins.
  let restarted: LineProcess | undefined;
  for (let attempt = 0; attempt < 10 && !restarted?.running; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    restarted = new LineProcess(t, 'famez fabric a again', process.execPath, [MAIN, ...args]);
    await Promise.race([restarted.exited, restarted.line(/node a of cluster fab/, 30_000)]);
  }
  assert.ok(restarted?.running, `the name is free again: ${restarted?.stderr.join(' ')}`);
  restarted.child.kill('SIGTERM');
  assert.equal((await restarted.exit()).code, 0);
});

test('a host given another --cluster-timeout or --cluster-replicas than the bucket was made with is refused in one line saying which to give', {
  timeout: 60_000,
  skip: natsMissing,
}, async (t) => {
  const nats = await NatsServer.start(t);
  const dir = tempDir(t);
  await fabricHost(t, dir, 'a', nats.url, 2000);
  const { status, stderr } = famez([
    ...['fabric', '-S', join(dir, 'b.sock'), '-M', join(dir, 'b.mailbox')],
    ...['--cluster', nats.url, '--cluster-name', 'fab', '--node', 'b', '--cluster-timeout', '9000'],
  ]);
  assert.equal(status, 1, stderr);
  assert.equal(
    stderr,
    'famez: cluster fab: its KV bucket famez-fab keeps claims for 2000 ms (the --cluster-timeout it was made with), ' +
      'not 9000: give every host --cluster-timeout 2000, or with no host running remove the bucket ' +
      '(nats kv rm famez-fab) to change it\n',
  );
  const copies = famez([
    ...['fabric', '-S', join(dir, 'c.sock'), '-M', join(dir, 'c.mailbox')],
    ...['--cluster', nats.url, '--cluster-name', 'fab', '--node', 'c', '--cluster-timeout', '2000'],
    ...['--cluster-replicas', '3'],
  ]);
  assert.equal(copies.status, 1, copies.stderr);
  assert.equal(
    copies.stderr,
    'famez: cluster fab: its KV bucket famez-fab has 1 copy on NATS (the --cluster-replicas it was made with), ' +
      'not 3: give every host --cluster-replicas 1, or with no host running remove the bucket ' +
      '(nats kv rm famez-fab) to change it\n',
  );
});
