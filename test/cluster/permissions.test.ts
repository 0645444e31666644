// NATS decides who may speak as which node: nats-server runs with the
// configuration docs/cluster.md gives (one user per node, a watcher), and a
// rogue user and a rogue member try what the document says they cannot.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect as natsConnect, type NatsConnection } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import { listenClusteredFabric, type ClusteredFabric } from '../../src/cluster/index.js';
import { connectFabric, type ChatMessage, type FabricPeer } from '../../src/fabric/index.js';
import { encodeWire } from '../../src/cluster/wire.js';
import { tempDir, waitFor } from '../server/helpers.js';
import { NatsServer, natsMissing } from './nats-server.js';

const DOC = join(dirname(fileURLToPath(import.meta.url)), '../../../docs/cluster.md');
const PASSWORDS = { west: 'w-secret', east: 'e-secret', watcher: 'v-secret' };

/** The configuration block of docs/cluster.md, as a user would copy it. */
function documentedConfig(): string {
  const text = readFileSync(DOC, 'utf8');
  const block = /```conf\n(# nats-server\.conf: famez cluster "lab"[\s\S]*?)```/.exec(text);
  assert.ok(block, 'docs/cluster.md has the nats-server configuration');
  return block[1]!;
}

test('with the documented permissions, a rogue user can neither speak as a node nor read its traffic, and a rogue member cannot forge messages or acks', {
  timeout: 120_000,
  skip: natsMissing,
}, async (t) => {
  const dir = tempDir(t);
  const conf = join(dir, 'nats.conf');
  // A third node's user, as the document's west, for the rogue member.
  writeFileSync(
    conf,
    documentedConfig().replace(
      '  users: [\n',
      '  users: [\n    { user: north, password: n-secret, permissions: {\n        publish: ["famez.lab.north.>", "$JS.API.>", "$KV.famez-lab.>"]\n        subscribe: ["famez.lab.*.all", "famez.lab.*.to.north", "_INBOX_famez_lab_north.>"] } }\n',
    ),
  );
  for (const [user, password] of Object.entries(PASSWORDS))
    process.env[`FAMEZ_${user.toUpperCase()}_PASSWORD`] = password;
  const nats = await NatsServer.start(t, ['-c', conf]);

  const host = async (node: 'west' | 'east'): Promise<ClusteredFabric> => {
    const clustered = await listenClusteredFabric(
      { socketPath: join(dir, `${node}.sock`), mailbox: join(dir, `${node}.mailbox`) },
      { url: nats.url, name: 'lab', node, user: node, pass: PASSWORDS[node], timeoutMs: 2000 },
    );
    t.after(() => clustered.close());
    return clustered;
  };
  const west = await host('west');
  const east = await host('east');
  const peer = async (on: ClusteredFabric, inbox: ChatMessage[]): Promise<FabricPeer> => {
    const p = await connectFabric({ path: on.fabric.socketPath, replyTimeoutMs: 1500 });
    t.after(() => p.close());
    p.on('message', (m) => inbox.push(m));
    return p;
  };
  const atEast: ChatMessage[] = [];
  const w = await peer(west, []);
  const e = await peer(east, atEast);
  await waitFor(
    () => w.peers().some((p) => p.id === e.id) && e.peers().some((p) => p.id === w.id),
    'each to see the other',
    10_000,
  );
  const warnings: string[] = [];
  east.node.on('warning', (line) => warnings.push(line));
  west.node.on('warning', (line) => warnings.push(line));

  // The watcher: heartbeats yes; what is sent to a node, or speaking as one, no.
  const errors: string[] = [];
  const watcher = await natsConnect({ servers: nats.url, user: 'watcher', pass: PASSWORDS.watcher });
  t.after(() => watcher.close());
  void (async () => {
    for await (const s of watcher.status()) if (s.type === 'error') errors.push(String(s.error));
  })();
  const heard: string[] = [];
  const read: string[] = [];
  watcher.subscribe('famez.lab.*.all', {
    callback: (error, m) => void (error ? errors.push(String(error)) : heard.push(m.subject)),
  });
  watcher.subscribe('famez.lab.*.to.east', {
    callback: (error, m) => void (error ? errors.push(String(error)) : read.push(m.string())),
  });
  watcher.subscribe('famez.lab.>', {
    callback: (error, m) => void (error ? errors.push(String(error)) : read.push(m.string())),
  });
  watcher.publish(
    'famez.lab.west.to.east',
    encodeWire({ t: 'msg', node: 'west', from: w.id, to: e.id, seq: 1, text: 'forged by the watcher' }),
  );
  await watcher.flush().catch(() => {});
  await w.send(e.id, 'private text');
  await waitFor(
    () => atEast.some((m) => m.body === 'private text'),
    () => `the real message: ${JSON.stringify(atEast)} ${warnings.join(' | ')}`,
    10_000,
  );
  await waitFor(() => heard.length > 0, 'the watcher to hear heartbeats', 10_000);
  assert.deepEqual(read, [], 'the watcher reads nothing sent to a node');
  assert.equal(atEast.filter((m) => m.body.startsWith('forged')).length, 0);
  await waitFor(
    () => errors.some((x) => /permissions violation/i.test(x)),
    () => `NATS's refusal: ${errors}`,
    10_000,
  );

  // A rogue member: a node user of its own, claims its name, and names west's peer as its sender.
  const north: NatsConnection = await natsConnect({
    servers: nats.url,
    user: 'north',
    pass: 'n-secret',
    inboxPrefix: '_INBOX_famez_lab_north',
  });
  t.after(() => north.close());
  await (await new Kvm(north).open('famez-lab')).create('node.north', new TextEncoder().encode('n'));
  const say = (subject: string, message: Parameters<typeof encodeWire>[0]): void =>
    north.publish(subject, encodeWire(message));
  say('famez.lab.north.all', { t: 'state', node: 'north', instance: 'n', peers: [] });
  await waitFor(() => east.node.nodes.includes('north'), 'north to be a member', 10_000);
  say('famez.lab.north.to.east', { t: 'msg', node: 'north', from: w.id, to: e.id, seq: 7, text: 'forged by north' });
  // Speaking as west is refused by NATS itself.
  say('famez.lab.west.to.east', { t: 'msg', node: 'west', from: w.id, to: e.id, seq: 8, text: 'forged as west' });
  await waitFor(
    () => warnings.some((x) => x.startsWith(`cluster: a message from peer ${w.id} on host north was not delivered`)),
    () => `the refusal: ${warnings.join(' | ')}`,
    10_000,
  );
  // A forged ack cannot make a send succeed that nothing took: the host link is down.
  west.node.applyFault({ kind: 'link', link: 'host:east', up: false });
  const lost = w.send(e.id, 'across a link that is down');
  for (let seq = 1; seq <= 50; seq++) say('famez.lab.north.to.west', { t: 'ack', node: 'north', from: w.id, seq });
  await assert.rejects(lost, /did not take the message/);
  assert.equal(atEast.filter((m) => m.body.startsWith('forged') || m.body.startsWith('across')).length, 0);
});
