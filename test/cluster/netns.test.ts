// Where the machine allows (root, network namespaces): each famez in its own
// network namespace, joined to nats-server only by a veth pair (with netem
// delay when the kernel has it), so the network is the only path between
// them. Taking one host's link down stops its cross-host traffic; bringing it
// back heals the fabric.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectFabric } from '../../src/fabric/index.js';
import { LineProcess } from '../helpers/line-process.js';
import { tempDir, waitFor } from '../server/helpers.js';
import { NatsServer, natsMissing } from './nats-server.js';

const MAIN = join(dirname(fileURLToPath(import.meta.url)), '../../src/cli/main.js');
const tag = process.pid % 10_000;
/** A /24 of its own per run (10.<77..126>.<1|2>.0). */
const net = 77 + (process.pid % 50);

function ip(...args: string[]): boolean {
  return spawnSync('ip', args, { stdio: 'ignore' }).status === 0;
}

function netnsMissing(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces)';
  if (natsMissing) return natsMissing;
  const probe = `famez-probe-${tag}`;
  if (!ip('netns', 'add', probe)) return 'cannot create a network namespace here';
  ip('netns', 'del', probe);
  return undefined;
}

/** Namespace `name` joined to this one by a veth pair: here 10.net.side.1, there .2 with a default route back. */
function namespace(t: TestContext, name: string, side: number): { ns: string; hostEnd: string; delayed: boolean } {
  const ns = `famez-${name}-${tag}`;
  const hostEnd = `fz${name[0]}${tag}h`;
  const nsEnd = `fz${name[0]}${tag}n`;
  assert.ok(ip('netns', 'add', ns), `ip netns add ${ns}`);
  t.after(() => {
    ip('link', 'del', hostEnd);
    ip('netns', 'del', ns);
  });
  assert.ok(ip('link', 'add', hostEnd, 'type', 'veth', 'peer', 'name', nsEnd));
  assert.ok(ip('link', 'set', nsEnd, 'netns', ns));
  assert.ok(ip('addr', 'add', `10.${net}.${side}.1/24`, 'dev', hostEnd) && ip('link', 'set', hostEnd, 'up'));
  const inside = (...args: string[]): boolean => ip('netns', 'exec', ns, 'ip', ...args);
  assert.ok(
    inside('addr', 'add', `10.${net}.${side}.2/24`, 'dev', nsEnd) &&
      inside('link', 'set', nsEnd, 'up') &&
      inside('link', 'set', 'lo', 'up'),
  );
  assert.ok(inside('route', 'add', 'default', 'via', `10.${net}.${side}.1`));
  const delayed =
    spawnSync('ip', ['netns', 'exec', ns, 'tc', 'qdisc', 'add', 'dev', nsEnd, 'root', 'netem', 'delay', '5ms'], {
      stdio: 'ignore',
    }).status === 0;
  return { ns, hostEnd, delayed };
}

test('two famez fabrics in their own network namespaces, joined only over veth: they message each other; a link down stops it, up heals it', {
  timeout: 120_000,
  skip: netnsMissing(),
}, async (t) => {
  const east = namespace(t, 'east', 1);
  const west = namespace(t, 'west', 2);
  const nats = await NatsServer.start(t, [], `10.${net}.1.1`);
  const dir = tempDir(t);
  const hosts = [east, west].map((host, i) => {
    const node = i === 0 ? 'east' : 'west';
    const socket = join(dir, `${node}.sock`);
    const famez = new LineProcess(t, `famez in ${host.ns}`, 'ip', [
      'netns',
      'exec',
      host.ns,
      process.execPath,
      MAIN,
      'fabric',
      '-S',
      socket,
      '-M',
      join(dir, `${node}.mailbox`),
      '--cluster',
      nats.url,
      '--cluster-name',
      'ns',
      '--node',
      node,
      '--cluster-timeout',
      '2000',
    ]);
    return { ...host, socket, famez };
  });
  for (const host of hosts) await host.famez.line(/node \w+ of cluster ns/, 30_000);
  const a = await connectFabric({ path: hosts[0]!.socket, replyTimeoutMs: 1000 });
  t.after(() => a.close());
  const b = await connectFabric({ path: hosts[1]!.socket });
  t.after(() => b.close());
  await waitFor(() => a.client.peers.has(b.id), 'east to know the west peer', 15_000);
  await waitFor(() => b.client.peers.has(a.id), 'west to know the east peer', 15_000);
  // Pongs are counted, not awaited with once(): another message to a (its switch's) would use up a once() listener.
  let pongs = 0;
  a.on('message', (message) => {
    if (message.body === 'pong') pongs++;
  });
  const pingPong = async (ms: number): Promise<void> => {
    const before = pongs;
    await a.send(b.id, 'ping');
    await waitFor(() => pongs > before, 'the pong', ms);
  };
  await pingPong(15_000);

  // West's only way out goes down: east's message to it is not taken in time.
  assert.ok(ip('link', 'set', west.hostEnd, 'down'));
  await assert.rejects(a.send(b.id, 'ping'), /did not take the message within 1000 ms/);
  assert.ok(ip('link', 'set', west.hostEnd, 'up'));
  // The fabric heals (NATS reconnects): messages go through again.
  await waitFor(
    async () => {
      try {
        await pingPong(2000);
        return true;
      } catch {
        return false;
      }
    },
    'a ping to cross again after the link came back',
    60_000,
    500,
  );
  for (const host of hosts) host.famez.child.kill('SIGTERM');
  for (const host of hosts) assert.equal((await host.famez.exit(20_000)).code, 0);
});
