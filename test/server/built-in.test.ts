// The server's general mechanisms the fabric stands on: a built-in peer,
// an id range with the random policy, and recycling of a leaving peer's doorbells.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, ServerClosedError, type BuiltInDoorbell } from '../../src/server/index.js';
import { connect, type Doorbell } from '../../src/client/index.js';
import { nextEvent, RawPeer, show, sleep, startServer as start, waitFor } from './helpers.js';

test("a built-in peer is advertised after the other peers and before the newcomer's own batch; it rings and is rung", {
  timeout: 60_000,
}, async (t) => {
  const h = await start(t, { vectors: 4, ids: 'lowest', idRange: { first: 1, last: 2 } });
  const switchPeer = h.server.addBuiltInPeer(3);
  const a = await h.client();
  assert.equal(a.id, 1);
  // The raw handshake of the second peer: version, id, memory, peer 1, the built-in 3, itself.
  const raw = RawPeer.connect(h.path);
  t.after(() => raw.close());
  assert.deepEqual(show(await raw.take(15)), [
    '0',
    '2',
    '-1+fd',
    '1+fd',
    '1+fd',
    '1+fd',
    '1+fd',
    '3+fd',
    '3+fd',
    '3+fd',
    '3+fd',
    '2+fd',
    '2+fd',
    '2+fd',
    '2+fd',
  ]);
  const rawGone = nextEvent<[number]>(a, 'peer-gone');
  raw.close();
  assert.equal((await rawGone)[0], 2);
  assert.deepEqual([...a.peers.keys()].sort(), [1, 3]);
  assert.equal(h.server.connectedPeers, 1);
  assert.equal(h.server.peers.get(3)?.credentials, undefined);

  const heard: BuiltInDoorbell[] = [];
  switchPeer.on('doorbell', (doorbell) => heard.push(doorbell));
  a.ring(3, 1);
  a.ring(3, 1);
  await waitFor(() => heard.reduce((sum, d) => sum + d.count, 0) === 2, 'two rings on the built-in peer');
  assert.ok(heard.every((d) => d.vector === 1));

  const rung: Doorbell[] = [];
  a.on('doorbell', (d) => rung.push(d));
  assert.equal(switchPeer.ring(a.id, 3), true);
  await waitFor(() => rung.length === 1, 'the built-in peer rings peer 1');
  assert.deepEqual(rung[0], { vector: 3, count: 1 });
  assert.equal(switchPeer.ring(9, 0), false, 'no peer 9');
  assert.throws(() => h.server.addBuiltInPeer(3), /taken/);
  await h.done();
});

test('a built-in peer on a server not listening, or closed, is a ServerClosedError and leaves nothing taken', async () => {
  const server = createServer({ socketPath: '/nonexistent/famez-never-listens' });
  const closed = (error: unknown): boolean => error instanceof ServerClosedError && error.code === 'FAMEZ_CLOSED';
  assert.throws(() => server.addBuiltInPeer(3), closed);
  assert.equal(server.peers.size, 0);
  await server.close();
  assert.throws(() => server.addBuiltInPeer(3), closed);
  await assert.rejects(server.listen(), closed);
});

test('a peer beyond the id range is refused as a full server is; the built-in peer does not count against maxPeers', {
  timeout: 60_000,
}, async (t) => {
  const h = await start(t, { ids: 'random', idRange: { first: 1, last: 2 }, maxPeers: 2 });
  h.server.addBuiltInPeer(3);
  const ids = new Set([(await h.client()).id, (await h.client()).id]);
  assert.deepEqual([...ids].sort(), [1, 2]);
  const refused = nextEvent<[unknown, string]>(h.server, 'peer-refused');
  await assert.rejects(connect({ path: h.path, timeoutMs: 5000 }), /refused/);
  assert.match((await refused)[1], /server full/);
  await h.done();
});

test('recycling: a peer that comes back on the same id gets the same doorbells and the others hear nothing', {
  timeout: 60_000,
}, async (t) => {
  const h = await start(t, { vectors: 2, ids: 'lowest', idRange: { first: 1, last: 9 }, recycle: true });
  const stay = await h.client();
  const gone: number[] = [];
  const joined: number[] = [];
  stay.on('peer-gone', (id) => gone.push(id));
  stay.on('peer', (id) => joined.push(id));
  const rung: Doorbell[] = [];
  stay.on('doorbell', (d) => rung.push(d));
  let first = await h.client();
  await waitFor(() => joined.length === 1, 'the first join is announced');
  for (let round = 1; round <= 5; round++) {
    const left = nextEvent(h.server, 'peer-left');
    first.close();
    await left;
    const next = await h.client();
    assert.equal(next.id, first.id, 'the same id again');
    assert.deepEqual([...next.peers.keys()].sort(), [stay.id, next.id].sort());
    // The staying peer still rings it through the doorbells it was given at the first join.
    const heard = nextEvent<[Doorbell]>(next, 'doorbell');
    stay.ring(next.id, 1);
    assert.deepEqual((await heard)[0], { vector: 1, count: 1 });
    next.ring(stay.id, 0);
    await waitFor(() => rung.length === round, `round ${round}: rung back`);
    first = next;
  }
  await sleep(20);
  assert.deepEqual(gone, [], 'no leave was announced');
  assert.deepEqual(joined, [first.id], 'only the first join was announced');
  // A peer that joins while the id is vacant learns of it when it comes back.
  const left = nextEvent(h.server, 'peer-left');
  first.close();
  await left;
  const newcomer = await h.client();
  assert.deepEqual([...newcomer.peers.keys()].sort(), [stay.id, newcomer.id].sort());
  const back = nextEvent<[number]>(newcomer, 'peer');
  const returned = await h.client();
  assert.equal((await back)[0], returned.id);
  await h.done();
});
