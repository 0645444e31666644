// Names that say where: two hosts whose peers carry the same name. The chat
// shows the remote one with its host, refuses the bare name, and takes the
// name with its host (or the id).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectFabric, type ChatMessage } from '../../src/fabric/index.js';
import { famezAsync as famez } from '../cli/cli.js';
import { waitFor } from '../server/helpers.js';
import { westAndEast } from './hosts.js';
import { natsMissing } from './nats-server.js';

test('two hosts, a lab1 on each: who says where each is, "send lab1" is refused listing both, "send lab1@west" reaches west', {
  timeout: 90_000,
  skip: natsMissing,
}, async (t) => {
  const { west, east } = await westAndEast(t);
  const onWest = await connectFabric({ path: west.fabric.socketPath, nodename: 'lab1' });
  t.after(() => onWest.close());
  const onEast = await connectFabric({ path: east.fabric.socketPath, nodename: 'lab1' });
  t.after(() => onEast.close());
  const atWest: ChatMessage[] = [];
  onWest.on('message', (m) => atWest.push(m));
  await waitFor(
    () => onEast.peers().some((p) => p.nodename === 'lab1@west'),
    () => `east to see west's lab1 as lab1@west: ${JSON.stringify(onEast.peers())}`,
    15_000,
  );
  const who = await famez(['chat', '-S', east.fabric.socketPath, '-c', 'who']);
  assert.match(who.stdout, new RegExp(`Peer ID = +${onWest.id} \\(lab1@west\\)`));
  assert.match(who.stdout, new RegExp(`Peer ID = +${onEast.id} \\(lab1\\)`));
  const bare = await famez(['chat', '-S', east.fabric.socketPath, '-c', 'send lab1 hi']);
  assert.equal(bare.status, 1);
  assert.ok(
    bare.stdout.includes(
      `"lab1" names 2 peers: lab1 (${onEast.id}), lab1@west (${onWest.id}): give the name with its @host, or the id`,
    ) ||
      bare.stdout.includes(
        `"lab1" names 2 peers: lab1@west (${onWest.id}), lab1 (${onEast.id}): give the name with its @host, or the id`,
      ),
    bare.stdout,
  );
  const qualified = await famez(['chat', '-S', east.fabric.socketPath, '-c', 'send lab1@west hello west']);
  assert.equal(qualified.status, 0, qualified.stdout + qualified.stderr);
  await waitFor(() => atWest.some((m) => m.body === 'hello west'), 'the message at west', 10_000);
});
