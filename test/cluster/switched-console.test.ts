// `famez fabric --switched --cluster` on a terminal: the console's fault
// commands reach the host links (owned by the cluster) and the peer links
// (owned by the router); faults and counters show both.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { connectFabric } from '../../src/fabric/index.js';
import { listenClusteredServer } from '../../src/cluster/index.js';
import { Router } from '../../src/switching/router.js';
import { MAIN } from '../cli/cli.js';
import { LineProcess } from '../helpers/line-process.js';
import { tempDir, waitFor } from '../server/helpers.js';
import { fabricHost } from './hosts.js';
import { NatsServer, natsMissing } from './nats-server.js';

test('famez fabric --switched --cluster on a terminal: down/up of a host link and isolate/rejoin of a peer change what crosses; faults and counters show both kinds of link', {
  timeout: 90_000,
  skip: natsMissing,
}, async (t) => {
  const nats = await NatsServer.start(t);
  const dir = tempDir(t);
  const quote = (word: string): string => `'${word.replace(/'/g, `'\\''`)}'`;
  const socket = join(dir, 'one.sock');
  const command = [
    process.execPath,
    MAIN,
    'fabric',
    '--switched',
    '-S',
    socket,
    '-M',
    join(dir, 'one.mailbox'),
    '--cluster',
    nats.url,
    '--cluster-name',
    'fab',
    '--node',
    'one',
    '--cluster-timeout',
    '2000',
  ]
    .map(quote)
    .join(' ');
  const tty = new LineProcess(t, 'famez fabric --switched --cluster on a pty', 'script', [
    '-qfec',
    command,
    '/dev/null',
  ]);
  await tty.line(/node one of cluster fab/, 20_000);
  const two = await fabricHost(t, dir, 'two', nats.url, 2000, { switched: true });
  const here = await connectFabric({ path: socket, replyTimeoutMs: 500 });
  t.after(() => here.close());
  const there = await connectFabric({ path: two.fabric.socketPath });
  t.after(() => there.close());
  const received: string[] = [];
  there.on('message', (message) => {
    if (message.from === here.id) received.push(message.body);
  });
  await waitFor(() => here.client.peers.has(there.id), "host one's peer to know host two's", 10_000);
  // And host two to have checked it (else the first message waits for the check, longer than 500 ms under load).
  await waitFor(() => there.client.peers.has(here.id), "host two's peer to know host one's", 10_000);
  const type = (line: string): void => {
    tty.child.stdin.write(`${line}\r`);
  };
  const after = (pattern: RegExp): Promise<number> => tty.lineIndex(pattern, 10_000, tty.stdout.length);

  await here.send(there.id, 'first');
  let shown = after(/^host:two\s+.*down/);
  type('link down host:two');
  type('faults');
  await shown;
  await assert.rejects(here.send(there.id, 'over a down host link'), /did not take the message within 500 ms/);
  // The router passed it (p's own link counts it); the host link dropped it.
  shown = after(/^host:two\s+\d+\s+1\s/);
  const ownLink = after(new RegExp(`^peer:${here.id}\\s+2\\s+0\\s`));
  type('counters');
  await Promise.all([shown, ownLink]);
  shown = after(/^host:two\s+.*\bup\b|^no faults/);
  type('link up host:two');
  type('faults');
  await shown;

  shown = after(new RegExp(`^peer:${here.id}\\s+.*down`));
  type(`isolate ${here.id}`);
  type('faults');
  await shown;
  await assert.rejects(here.send(there.id, 'from an isolated peer'), /did not take the message within 500 ms/);
  type(`rejoin ${here.id}`);
  type('bogus link');
  await after(/unknown command "bogus link"/);
  await here.send(there.id, 'last');
  await waitFor(() => received.includes('last'), 'the message after rejoin', 10_000);
  assert.deepEqual(received, ['first', 'last']);
  type('link down nowhere');
  await after(/no link "nowhere": .*; to other hosts: host:two/);
  type('quit');
  assert.deepEqual(await tty.exit(), { code: 0, signal: null });
});

test("famez server --switched --cluster on a terminal: host links and the router's in faults and counters; routes between the router's switches", {
  timeout: 60_000,
  skip: natsMissing,
}, async (t) => {
  const nats = await NatsServer.start(t);
  const dir = tempDir(t);
  const quote = (word: string): string => `'${word.replace(/'/g, `'\\''`)}'`;
  const command = [
    process.execPath,
    MAIN,
    'server',
    '--switched',
    '-S',
    join(dir, 'a.sock'),
    '-f',
    join(dir, 'a.mem'),
    '-l',
    '64K',
    '--cluster',
    nats.url,
    '--cluster-name',
    'srv',
    '--node',
    'a',
  ]
    .map(quote)
    .join(' ');
  const tty = new LineProcess(t, 'famez server --switched --cluster on a pty', 'script', [
    '-qfec',
    command,
    '/dev/null',
  ]);
  await tty.line(/node a of cluster srv/, 20_000);
  const b = await listenClusteredServer(
    {
      socketPath: join(dir, 'b.sock'),
      memory: { kind: 'memfd', size: 65536 },
      listenFd: 'none',
      switched: true,
      forwarding: new Router(),
    },
    { url: nats.url, name: 'srv', node: 'b' },
  );
  t.after(() => b.close());
  const type = (line: string): void => {
    tty.child.stdin.write(`${line}\r`);
  };
  const after = (pattern: RegExp): Promise<number> => tty.lineIndex(pattern, 10_000, tty.stdout.length);
  // Host b is known once the link to it can be taken down.
  for (let tries = 0; ; tries++) {
    const answer = after(/^host:b\s+down|no link "?host:b"?:/);
    type('link down host:b');
    type('faults');
    const index = await answer;
    if (/^host:b/.test(tty.stdout[index]!)) break;
    assert.ok(tries < 50, 'host b to join');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  let shown = after(/^host:b\s+0\s+0\s/);
  type('counters');
  await shown;
  shown = after(/^switch\s+via -\s+0 us/);
  type('routes switch switch');
  await shown;
  type('quit');
  assert.deepEqual(await tty.exit(), { code: 0, signal: null });
});
