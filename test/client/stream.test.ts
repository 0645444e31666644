// The client's checks of a server stream, against a scripted server: valid
// streams connect, every invalid one fails with a clear error, and random or
// truncated streams never crash the client nor leak an fd.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from '../../src/client/index.js';
import { encode, REFUSAL_VERSION } from '../../src/protocol/message.js';
import * as sys from '../../src/sys/index.js';
import { openFdCount } from '../helpers/fds.js';
import { FakeServer, type Chunk } from './fake-server.js';

const msg = (value: number, fd?: Chunk['fd']): Chunk => ({ bytes: encode(value), fd });
const HANDSHAKE = [msg(0), msg(3), msg(-1, 'memfd'), msg(3, 'eventfd'), msg(3, 'eventfd')];

/** Feeds `chunks` to connect(); the server hangs up afterwards unless `hangUp` is false. */
async function outcome(chunks: Chunk[], hangUp = true, timeoutMs = 500): Promise<string> {
  const server = new FakeServer();
  try {
    const serving = server.serve(chunks, !hangUp);
    try {
      const client = await connect({ path: server.path, timeoutMs });
      const result = `connected id=${client.id} vectors=${client.vectors} size=${client.memory.size}`;
      client.close();
      return result;
    } catch (error) {
      return `error: ${(error as Error).message}`;
    } finally {
      const open = await serving;
      if (open !== undefined) sys.close(open);
    }
  } finally {
    server.close();
  }
}

test('a valid stream connects with the id, vectors and memory it announced', async () => {
  const before = openFdCount();
  assert.equal(await outcome(HANDSHAKE, false), 'connected id=3 vectors=2 size=4096');
  assert.equal(openFdCount(), before);
});

const invalid: [string, Chunk[], RegExp][] = [
  ['a wrong version', [msg(1)], /server sent version 1, expecting 0/],
  ['a version with an fd', [msg(0, 'eventfd')], /version 0 with an fd/],
  ['the refusal version', [msg(REFUSAL_VERSION)], /refused/],
  ['an id out of range', [msg(0), msg(65536)], /invalid ID message 65536/],
  ['a negative id', [msg(0), msg(-5)], /invalid ID message -5/],
  ['an id with an fd', [msg(0), msg(1, 'eventfd')], /invalid ID message 1 with an fd/],
  ['memory without an fd', [msg(0), msg(1), msg(-1)], /without an fd/],
  ['something else where the memory belongs', [msg(0), msg(1), msg(7, 'memfd')], /where the shared memory/],
  ['a close before the memory', [msg(0), msg(1)], /closed the connection during the handshake/],
  ['half a message', [msg(0), { bytes: encode(1).subarray(0, 5) }], /in the middle of a message/],
  ['a peer id out of range after setup', [...HANDSHAKE.slice(0, 3), msg(70000, 'eventfd')], /invalid peer id 70000/],
  [
    'a doorbell that is no eventfd (a memfd: a watcher on it would spin)',
    [...HANDSHAKE.slice(0, 3), msg(3, 'memfd')],
    /sent peer 3's vector 0 as an fd that is no eventfd/,
  ],
  [
    "another peer's doorbell that is no eventfd",
    [...HANDSHAKE, msg(5, 'memfd')],
    /sent peer 5's vector 0 as an fd that is no eventfd/,
  ],
  [
    'more than 256 vectors for a peer',
    [...HANDSHAKE.slice(0, 3), ...Array.from({ length: 257 }, () => msg(9, 'eventfd'))],
    /more than 256 vectors/,
  ],
];

for (const [name, chunks, expected] of invalid) {
  test(`the client rejects ${name} and keeps no fd`, async () => {
    const before = openFdCount();
    assert.match(await outcome(chunks), expected);
    assert.equal(openFdCount(), before);
  });
}

test('random and truncated streams: clear errors, no crash, no fd leak', async () => {
  const rounds = Number(process.env.FAMEZ_FUZZ_ROUNDS ?? 200);
  let seed = 12345;
  const random = (n: number): number => (seed = (seed * 48271) % 2147483647) % n;
  const values = [0, -1, 1, 2, 65535, 65536, -2, REFUSAL_VERSION, 2 ** 40];
  const before = openFdCount();
  const outcomes = new Set<string>();
  for (let round = 0; round < rounds; round++) {
    const chunks: Chunk[] = [];
    const valid = random(4) === 0;
    if (valid) {
      // A whole handshake, then announcements a server may send.
      chunks.push(...HANDSHAKE);
      for (let i = random(8); i > 0; i--) chunks.push(msg(random(6), random(3) ? 'eventfd' : undefined));
    } else {
      // Mostly well-formed openings, so that the later states are reached too.
      if (random(3) > 0) chunks.push(...HANDSHAKE.slice(0, 1 + random(HANDSHAKE.length)));
      for (let i = random(12); i > 0; i--) {
        const fd = ([undefined, 'eventfd', 'memfd'] as const)[random(3)];
        chunks.push(msg(values[random(values.length)]!, fd));
      }
      if (random(4) === 0) chunks.push({ bytes: new Uint8Array(1 + random(7)).map(() => random(256)) });
    }
    const result = await outcome(chunks, !valid && random(2) === 0, 100);
    assert.match(result, /^(connected id=\d+ vectors=\d+ size=\d+|error: .+)$/);
    outcomes.add(result.startsWith('error') ? result.replace(/-?\d+/g, 'N') : 'connected');
  }
  assert.equal(openFdCount(), before, 'fds after the fuzz rounds');
  assert.ok(outcomes.has('connected') && outcomes.size > 5, `varied outcomes: ${[...outcomes].join(' | ')}`);
});
