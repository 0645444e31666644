// Other nodes are untrusted peers, and NATS may ask for credentials: what a
// node sends is checked before it is used, and a bad login is one clear line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { connect as natsConnect } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import { connect, type FamezClient } from '../../src/client/index.js';
import { listenClusteredServer } from '../../src/cluster/index.js';
import { decodeWire, encodeWire, type WireMessage } from '../../src/cluster/wire.js';
import { tempDir, waitFor } from '../server/helpers.js';
import { NatsServer, natsMissing } from './nats-server.js';

test('wire messages are checked: bad JSON, kinds, ids, vectors, names and sizes are refused with a reason', {
  timeout: 10_000,
}, () => {
  const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
  assert.equal(decodeWire(bytes('{')), 'not JSON text');
  assert.equal(decodeWire(new Uint8Array([0xff, 0xfe])), 'not JSON text');
  assert.equal(decodeWire(bytes('[]')), 'an unknown kind of message');
  assert.equal(decodeWire(bytes('{"t":"ring","to":1,"vector":0,"count":1}')), 'a ring without its sender');
  assert.equal(decodeWire(bytes('{"t":"ring","node":"a","to":65536,"vector":0,"count":1}')), 'a bad ring');
  assert.equal(decodeWire(bytes('{"t":"ring","node":"a","to":1,"vector":256,"count":1}')), 'a bad ring');
  assert.equal(
    decodeWire(bytes('{"t":"msg","node":"a","from":1,"to":2,"seq":1,"text":"' + 'x'.repeat(385) + '"}')),
    'a bad message',
  );
  assert.equal(decodeWire(bytes('{"t":"state","node":"a.b","instance":"i","peers":[]}')), 'a bad state message');
  assert.equal(
    decodeWire(bytes('{"t":"state","node":"a","instance":"i","peers":[{"id":-1}]}')),
    'a state message with a bad peer',
  );
  assert.equal(
    decodeWire(bytes('{"t":"state","node":"a","instance":"i","peers":[{"id":1,"nodename":"' + 'n'.repeat(32) + '"}]}')),
    'a state message with bad names',
  );
  assert.equal(
    decodeWire(bytes('{"t":"fault","at":1,"changes":[{"kind":"clear"}]}')),
    'a fault without its sender or time',
  );
  assert.equal(
    decodeWire(bytes('{"t":"fault","node":"a","changes":[{"kind":"clear"}]}')),
    'a fault without its sender or time',
  );
  assert.equal(
    decodeWire(bytes('{"t":"fault","node":"a","at":1,"changes":[]}')),
    'a fault of other than 1 to 8 changes',
  );
  assert.equal(
    decodeWire(bytes(JSON.stringify({ t: 'state', node: 'a', instance: 'i', peers: [], pad: 'x'.repeat(128 * 1024) }))),
    'a message over 131072 bytes',
  );
  assert.equal(
    decodeWire(
      bytes(
        JSON.stringify({
          t: 'state',
          node: 'a',
          instance: 'i',
          peers: Array.from({ length: 257 }, (_, id) => ({ id })),
        }),
      ),
    ),
    'a state message with a bad list of peers',
  );
  assert.equal(
    decodeWire(bytes('{"t":"fault","node":"a","at":1,"changes":[{"kind":"link","link":"trunk","up":false}]}')),
    'a fault on a link nodes do not have',
  );
  assert.equal(
    decodeWire(bytes('{"t":"fault","node":"a","at":1,"changes":[{"kind":"link","link":"peer:65536","up":false}]}')),
    'a fault on a link nodes do not have',
  );
  assert.equal(
    decodeWire(bytes('{"t":"fault","node":"a","at":1,"changes":[{"kind":"drop","link":"host:b","probability":2}]}')),
    'a fault out of range (a drop probability is from 0 to 1, not 2)',
  );
  assert.equal(
    decodeWire(
      bytes('{"t":"fault","node":"a","at":1,"changes":[{"kind":"rate","link":"host:b","rate":{"perSecond":"9"}}]}'),
    ),
    'a bad rate fault',
  );
  assert.equal(
    decodeWire(bytes('{"t":"fault","node":"a","at":1,"changes":[{"kind":"melt","link":"host:b"}]}')),
    'an unknown kind of fault',
  );
  assert.equal(decodeWire(bytes('{"t":"batch","items":[{"t":"ack","from":1,"seq":1}]}')), 'a batch without its sender');
  assert.equal(decodeWire(bytes('{"t":"batch","node":"a","items":[]}')), 'a batch of other than 1 to 64 items');
  assert.equal(
    decodeWire(bytes(`{"t":"batch","node":"a","items":[${Array(65).fill('{"t":"ack","from":1,"seq":1}').join(',')}]}`)),
    'a batch of other than 1 to 64 items',
  );
  assert.equal(
    decodeWire(
      bytes(
        '{"t":"batch","node":"a","items":[{"t":"ack","from":1,"seq":1},{"t":"ring","to":1,"vector":999,"count":1}]}',
      ),
    ),
    'a batch with a bad ring',
  );
  assert.equal(decodeWire(bytes('{"t":"batch","node":"a","items":[null]}')), 'a batch with a bad item');
  assert.deepEqual(
    decodeWire(
      bytes(
        '{"t":"batch","node":"a","items":[{"t":"ack","from":1,"seq":1},{"t":"ring","to":2,"vector":1,"count":1,"node":"forged"}]}',
      ),
    ),
    {
      t: 'batch',
      node: 'a',
      items: [
        { t: 'ack', from: 1, seq: 1, node: 'a' },
        { t: 'ring', to: 2, vector: 1, count: 1, node: 'a' },
      ],
    },
  );
  // Each item takes the batch's sender and list version, never its own.
  assert.deepEqual(
    decodeWire(
      bytes(
        '{"t":"batch","node":"a","version":3,"items":[{"t":"msg","from":1,"to":2,"seq":4,"text":"hi","version":99},' +
          '{"t":"ring","to":2,"vector":1,"count":1,"from":1}]}',
      ),
    ),
    {
      t: 'batch',
      node: 'a',
      version: 3,
      items: [
        { t: 'msg', from: 1, to: 2, seq: 4, text: 'hi', node: 'a', version: 3 },
        { t: 'ring', to: 2, vector: 1, count: 1, from: 1, node: 'a', version: 3 },
      ],
    },
  );
  const fault: WireMessage = { t: 'fault', node: 'a', at: 1, changes: [{ kind: 'latency', link: 'peer:7', us: 500 }] };
  assert.deepEqual(decodeWire(encodeWire(fault)), fault);
  const ring = { t: 'ring', to: 3, vector: 1, count: 2, node: 'a' } as const;
  assert.deepEqual(decodeWire(encodeWire(ring)), ring);
});

test('a hostile node on NATS: garbage is ignored with a warning; it cannot take an id another node holds, nor one it has not claimed in the KV', {
  timeout: 60_000,
  skip: natsMissing,
}, async (t) => {
  const nats = await NatsServer.start(t);
  const dir = tempDir(t);
  const host = await listenClusteredServer(
    { socketPath: join(dir, 'h.sock'), memory: { kind: 'memfd', size: 65536 }, listenFd: 'none' },
    { url: nats.url, name: 'hx', node: 'honest' },
  );
  t.after(() => host.close());
  const warnings: string[] = [];
  host.node.on('warning', (line) => warnings.push(line));
  const client: FamezClient = await connect({ path: host.server.socketPath });
  t.after(() => client.close());

  const rogue = await natsConnect({ servers: nats.url });
  t.after(() => rogue.close());
  // A member: it holds its name in the KV (the value is its instance), as a node does.
  const kv = await new Kvm(rogue).open('famez-hx');
  await kv.create('node.rogue', new TextEncoder().encode('r'));
  rogue.publish('famez.hx.rogue.all', new TextEncoder().encode('not json'));
  rogue.publish('famez.hx.rogue.to.honest', new TextEncoder().encode('{"t":"ring","node":"rogue","to":"x"}'));
  // It says it holds the honest node's own peer id, and a free id it has not claimed in the KV.
  rogue.publish(
    'famez.hx.rogue.all',
    encodeWire({ t: 'state', node: 'rogue', instance: 'r', peers: [{ id: client.id }, { id: 4000 }] }),
  );
  await rogue.flush();
  await waitFor(
    () => warnings.some((w) => /says it holds id \d+, which this node holds: ignored/.test(w)),
    () => `the refusal: ${warnings.join(' | ')}`,
    10_000,
  );
  await waitFor(
    () =>
      warnings.includes("cluster: node rogue says it holds id 4000, which the cluster's KV gives to no node: ignored"),
    () => `the refusal: ${warnings.join(' | ')}`,
    10_000,
  );
  assert.ok(
    warnings.some((w) => w.startsWith('cluster: ignored not JSON text')),
    warnings.join(' | '),
  );
  assert.ok(
    warnings.some((w) => w.startsWith('cluster: ignored traffic from node rogue, which is not in the cluster')),
    warnings.join(' | '),
  );
  assert.equal(
    host.server.peers.has(client.id) && host.server.peers.get(client.id)!.credentials !== undefined,
    true,
    'our peer keeps its id',
  );
  assert.equal(client.peers.has(4000), false, 'an id the KV gives to nobody is no peer');
  // NATS access is the trust boundary: a node that claims the id in the KV as famez does is believed.
  await kv.create('id.4001', new TextEncoder().encode('rogue'));
  rogue.publish('famez.hx.rogue.all', encodeWire({ t: 'state', node: 'rogue', instance: 'r', peers: [{ id: 4001 }] }));
  await waitFor(() => client.peers.has(4001), "the rogue's claimed id to appear as a remote peer", 10_000);
  // Silent after that: its peer leaves after the time-out (5 s by default).
  await waitFor(() => !client.peers.has(4001), "the silent rogue's peer to leave", 15_000);
});

test('NATS with a password: the right one joins, a wrong one is refused in one line', {
  timeout: 60_000,
  skip: natsMissing,
}, async (t) => {
  const nats = await NatsServer.start(t, ['--user', 'famez', '--pass', 's3cret']);
  const dir = tempDir(t);
  const options = {
    socketPath: join(dir, 'p.sock'),
    memory: { kind: 'memfd', size: 65536 },
    listenFd: 'none',
  } as const;
  await assert.rejects(
    listenClusteredServer(options, { url: nats.url, node: 'p', user: 'famez', pass: 'wrong' }),
    (error: Error) =>
      /^cannot reach NATS at nats:\/\/127\.0\.0\.1:\d+: .*(Authorization|authorization).*: check --nats-user with FAMEZ_NATS_PASSWORD/.test(
        error.message,
      ) && !error.message.includes('\n'),
  );
  const joined = await listenClusteredServer(options, { url: nats.url, node: 'p', user: 'famez', pass: 's3cret' });
  await joined.close();
});
