// Host peers from connect() against a real server: doorbells, memory, peer
// table, id policies, refusals and misbehaving peers.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createServer, type FamezServer, type PeerInfo, type ServerOptions } from '../../src/server/index.js';
import { connect, type FamezClient } from '../../src/client/index.js';
import { ProtocolError } from '../../src/protocol/client-stream.js';
import type { Doorbell } from '../../src/client/index.js';
import type * as sys from '../../src/sys/index.js';
import { DrainingPeer, fdBaseline, nextEvent, RawPeer, show, sleep, tempDir, waitFor } from './helpers.js';

interface Harness {
  server: FamezServer;
  path: string;
  client(): Promise<FamezClient>;
  raw(): RawPeer;
  /** Checks that every fd opened since the start is closed again (call after closing everything). */
  done(): Promise<void>;
}

async function start(t: TestContext, options: ServerOptions = {}): Promise<Harness> {
  const fds = fdBaseline();
  const dir = tempDir(t);
  const path = join(dir, 'sock');
  const server = createServer({ socketPath: path, memory: { kind: 'memfd', size: 1 << 20 }, ...options });
  const clients: FamezClient[] = [];
  const raws: RawPeer[] = [];
  const closeAll = async (): Promise<void> => {
    clients.forEach((client) => client.close());
    raws.forEach((raw) => raw.close());
    await server.close();
  };
  t.after(closeAll);
  await server.listen();
  return {
    server,
    path,
    async client() {
      const client = await connect({ path, timeoutMs: 5000 });
      clients.push(client);
      return client;
    },
    raw() {
      const raw = RawPeer.connect(path);
      raws.push(raw);
      return raw;
    },
    async done() {
      await closeAll();
      await fds.check();
    },
  };
}

/** Collects doorbells per vector. */
function doorbellLog(client: FamezClient): Doorbell[] {
  const log: Doorbell[] = [];
  client.on('doorbell', (doorbell) => log.push(doorbell));
  return log;
}

test('two clients ring each other on every vector, share memory, see each other go', { timeout: 60_000 }, async (t) => {
  const h = await start(t, { vectors: 3 });
  const a = await h.client();
  const aSawPeer = nextEvent<[number]>(a, 'peer');
  const b = await h.client();
  assert.equal((await aSawPeer)[0], b.id);
  assert.notEqual(a.id, b.id);
  assert.deepEqual(
    [...a.peers].sort(),
    [
      [a.id, 3],
      [b.id, 3],
    ].sort(),
  );
  assert.deepEqual(
    [...b.peers].sort(),
    [
      [a.id, 3],
      [b.id, 3],
    ].sort(),
  );
  assert.equal(a.vectors, 3);
  assert.deepEqual([...h.server.peers.keys()].sort(), [a.id, b.id].sort());
  assert.equal(h.server.peers.get(a.id)!.vectors, 3);

  const aLog = doorbellLog(a);
  const bLog = doorbellLog(b);
  for (let v = 0; v < 3; v++) {
    b.ring(a.id, v);
    await waitFor(() => aLog.length === v + 1, `A's doorbell ${v}`);
    assert.deepEqual(aLog[v], { vector: v, count: 1 });
    a.ring(b.id, v);
    await waitFor(() => bLog.length === v + 1, `B's doorbell ${v}`);
    assert.deepEqual(bLog[v], { vector: v, count: 1 });
  }
  await sleep(20);
  assert.equal(aLog.length, 3, 'no doorbell more than rung');
  assert.equal(bLog.length, 3);
  // Ringing all vectors reaches each one once.
  a.ring(b.id, 'all');
  await waitFor(() => bLog.length === 6, "B's three doorbells");
  assert.deepEqual(
    bLog
      .slice(3)
      .map((d) => d.vector)
      .sort(),
    [0, 1, 2],
  );
  assert.throws(() => a.ring(b.id, 3), RangeError);

  // Memory writes are seen by the other side.
  const aView = a.memory.map(0, 4096);
  const bView = b.memory.map(0, 4096);
  assert.equal(a.memory.size, 1 << 20);
  aView[0] = 0x11;
  aView[4095] = 0x22;
  bView[2000] = 0x33;
  assert.equal(bView[0], 0x11);
  assert.equal(bView[4095], 0x22);
  assert.equal(aView[2000], 0x33);
  const tail = b.memory.map((1 << 20) - 4096, 4096);
  tail[4095] = 0x44;
  assert.equal(a.memory.map((1 << 20) - 4096, 4096)[4095], 0x44);

  // B leaves: A hears of it; the server forgets it.
  const gone = nextEvent<[number]>(a, 'peer-gone');
  const left = nextEvent<[PeerInfo, string]>(h.server, 'peer-left');
  const bId = b.id;
  b.close();
  assert.equal((await gone)[0], bId);
  assert.equal((await left)[0].id, bId);
  assert.deepEqual([...a.peers], [[a.id, 3]]);
  assert.deepEqual([...h.server.peers.keys()], [a.id]);
  await h.done();
});

test('legacy: clients and server on the QEMU <= 2.4 protocol ring each other', { timeout: 60_000 }, async (t) => {
  const h = await start(t, { protocol: 'legacy', vectors: 2, ids: 'lowest' });
  const options = { path: h.path, protocol: 'legacy' as const, timeoutMs: 5000 };
  const a = await connect(options);
  const b = await connect(options);
  const c = await connect(options);
  t.after(() => [a, b, c].forEach((client) => client.close()));
  assert.deepEqual([a.id, b.id, c.id], [0, 1, 2]);
  const gone = nextEvent<[number]>(b, 'peer-gone');
  a.close();
  assert.equal((await gone)[0], 0);
  // The newcomer gets id 0 again; in legacy it comes first in its own list.
  const bSaw = nextEvent<[number]>(b, 'peer');
  const cSaw = nextEvent<[number]>(c, 'peer');
  const d = await connect(options);
  t.after(() => d.close());
  assert.equal((await bSaw)[0], 0);
  assert.equal((await cSaw)[0], 0);
  assert.equal(d.id, 0);
  assert.deepEqual([...d.peers].sort(), [
    [0, 2],
    [1, 2],
    [2, 2],
  ]);
  const rung = nextEvent<[Doorbell]>(d, 'doorbell');
  c.ring(d.id, 1);
  assert.deepEqual((await rung)[0], { vector: 1, count: 1 });
  const back = nextEvent<[Doorbell]>(c, 'doorbell');
  d.ring(c.id, 0);
  assert.deepEqual((await back)[0], { vector: 0, count: 1 });
  [b, c, d].forEach((client) => client.close());
  await h.done();
});

test("ids 'rotate' (default): 0, 1, 2, and after 1 leaves the next is 3", { timeout: 60_000 }, async (t) => {
  const h = await start(t);
  const clients = [await h.client(), await h.client(), await h.client()];
  assert.deepEqual(
    clients.map((c) => c.id),
    [0, 1, 2],
  );
  const left = nextEvent(h.server, 'peer-left');
  clients[1]!.close();
  await left;
  assert.equal((await h.client()).id, 3);
  await h.done();
});

test("ids 'lowest': the freed id 1 is given again", { timeout: 60_000 }, async (t) => {
  const h = await start(t, { ids: 'lowest' });
  const clients = [await h.client(), await h.client(), await h.client()];
  assert.deepEqual(
    clients.map((c) => c.id),
    [0, 1, 2],
  );
  const left = nextEvent(h.server, 'peer-left');
  clients[1]!.close();
  await left;
  assert.equal((await h.client()).id, 1);
  assert.equal((await h.client()).id, 3);
  await h.done();
});

test('maxPeers: the extra peer gets only REFUSAL_VERSION then EOF; the others hear nothing', {
  timeout: 60_000,
}, async (t) => {
  const h = await start(t, { maxPeers: 2, vectors: 2 });
  const a = h.raw();
  await a.take(3 + 2);
  const b = h.raw();
  await b.take(3 + 4);
  await a.take(2);
  const refused = nextEvent<[sys.Credentials | undefined, string]>(h.server, 'peer-refused');
  const c = h.raw();
  assert.deepEqual(show(await c.take(1)), [String(0x7fffffff)]);
  await c.expectEof();
  const [credentials, reason] = await refused;
  assert.equal(credentials?.pid, process.pid);
  assert.match(reason, /full/);
  await a.expectNothing();
  await b.expectNothing();
  assert.equal(h.server.peers.size, 2);

  // connect() rejects with an error that says what happened.
  await assert.rejects(
    connect({ path: h.path, timeoutMs: 2000 }),
    (error: Error) => error instanceof ProtocolError && /refused/.test(error.message),
  );
  await a.expectNothing();
  await b.expectNothing();

  // Once a peer leaves there is room again.
  a.close();
  await waitFor(() => h.server.peers.size === 1, 'A to leave');
  const d = await h.client();
  assert.equal(d.peers.size, 2);
  await h.done();
});

test('admit hook: a refusal is sent as REFUSAL_VERSION; the hook sees our pid, uid and gid', {
  timeout: 60_000,
}, async (t) => {
  const seen: sys.Credentials[] = [];
  let allow = false;
  const h = await start(t, {
    admit: (credentials) => {
      seen.push(credentials);
      return allow ? undefined : 'not on the list';
    },
  });
  const refused = nextEvent<[sys.Credentials | undefined, string]>(h.server, 'peer-refused');
  const raw = h.raw();
  assert.deepEqual(show(await raw.take(1)), [String(0x7fffffff)]);
  await raw.expectEof();
  const [credentials, reason] = await refused;
  assert.equal(reason, 'not on the list');
  assert.deepEqual(credentials, { pid: process.pid, uid: process.getuid!(), gid: process.getgid!() });
  assert.deepEqual(seen, [{ pid: process.pid, uid: process.getuid!(), gid: process.getgid!() }]);
  assert.equal(h.server.peers.size, 0);
  await assert.rejects(connect({ path: h.path, timeoutMs: 2000 }), ProtocolError);
  allow = true;
  const client = await h.client();
  assert.equal(client.id, 0, 'refused peers use no id');
  assert.equal(seen.length, 3);
  await h.done();
});

test('a peer that sends a byte is dropped and announced gone', { timeout: 60_000 }, async (t) => {
  const h = await start(t, { vectors: 2 });
  const a = h.raw();
  await a.take(3 + 2);
  const b = h.raw();
  await b.take(3 + 4);
  await a.take(2);
  const left = nextEvent<[PeerInfo, string]>(h.server, 'peer-left');
  b.sendBytes(Uint8Array.of(1));
  const [peer, reason] = await left;
  assert.equal(peer.id, 1);
  assert.match(reason, /sent data/);
  assert.deepEqual(show(await a.take(1)), ['1']);
  await b.expectEof();
  await a.expectNothing();
  assert.deepEqual([...h.server.peers.keys()], [0]);
  await h.done();
});

test('a peer that closes mid-handshake does not disturb the others', { timeout: 60_000 }, async (t) => {
  const h = await start(t, { vectors: 2 });
  const a = await h.client();
  const b = await h.client();
  const gone = nextEvent<[number]>(a, 'peer-gone');
  const raw = h.raw();
  assert.deepEqual(show(await raw.take(1)), ['0']);
  raw.close();
  const rawId = (await gone)[0];
  assert.equal(rawId, 2);
  await waitFor(() => h.server.peers.size === 2, 'the server to drop the half-joined peer');
  assert.deepEqual([...a.peers.keys()].sort(), [a.id, b.id].sort());
  await waitFor(() => b.peers.size === 2, 'B to forget the half-joined peer');

  const bLog = doorbellLog(b);
  const aLog = doorbellLog(a);
  a.ring(b.id, 1);
  b.ring(a.id, 0);
  await waitFor(() => bLog.length === 1 && aLog.length === 1, 'the doorbells');
  assert.deepEqual(bLog, [{ vector: 1, count: 1 }]);
  assert.deepEqual(aLog, [{ vector: 0, count: 1 }]);
  // And a newcomer still joins normally.
  const c = await h.client();
  assert.equal(c.peers.size, 3);
  await h.done();
});

test('a peer that never reads is dropped once its queue is full; the server keeps serving', {
  timeout: 60_000,
}, async (t) => {
  const h = await start(t, { vectors: 4, maxQueue: 64 });
  const stuck = h.raw(); // never reads
  let dropped: [PeerInfo, string] | undefined;
  let witnesses: number[] = [];
  h.server.on('peer-left', (peer, reason) => {
    if (peer.id !== 0) return;
    dropped = [peer, reason];
    witnesses = [...h.server.peers.keys()];
  });
  const present: DrainingPeer[] = [];
  const all: DrainingPeer[] = [];
  t.after(() => all.forEach((peer) => peer.close()));
  const add = async (): Promise<void> => {
    const peer = new DrainingPeer(h.path);
    all.push(peer);
    present.push(peer);
    await peer.established(4);
  };
  for (let i = 0; i < 8; i++) await add();
  // Peers come and go (so that no newcomer's own handshake is large) while
  // the stuck peer's unread messages pile up: 4 per join, 1 per leave.
  let cycles = 0;
  for (; cycles < 400 && !dropped; cycles++) {
    const leaving = present.shift()!;
    const size = h.server.peers.size;
    leaving.close();
    await waitFor(() => h.server.peers.size < size, 'a peer to leave');
    await add();
  }
  assert.ok(dropped, `the stuck peer was not dropped after ${cycles} joins and leaves`);
  assert.ok(cycles > 40, `dropped after only ${cycles} cycles: the socket buffer alone holds ~278 messages`);
  const [peer, reason] = dropped;
  assert.equal(peer.id, 0);
  assert.match(reason, /queue/);
  assert.equal(h.server.peers.has(0), false);
  // Everyone present when it was dropped hears, once, that it is gone.
  const told = all.filter((d) => witnesses.includes(d.id));
  assert.ok(told.length >= 7, `${told.length} peers were present when it was dropped`);
  await waitFor(() => told.every((d) => d.gone.includes(0)), 'the stuck peer to be announced gone');
  await sleep(20);
  for (const d of told) assert.equal(d.gone.filter((id) => id === 0).length, 1);
  // Nobody else was dropped.
  assert.ok(
    all.every((d) => !d.eof),
    'a reading peer was dropped',
  );
  assert.equal(h.server.peers.size, present.length);

  // The server keeps serving: newcomers join and ring each other.
  const a = await h.client();
  const b = await h.client();
  assert.equal(b.peers.size, present.length + 2);
  const rung = nextEvent<[Doorbell]>(a, 'doorbell');
  b.ring(a.id, 3);
  assert.deepEqual((await rung)[0], { vector: 3, count: 1 });
  stuck.close();
  all.forEach((d) => d.close());
  await waitFor(() => h.server.peers.size === 2, 'the drainers to leave');
  await h.done();
});

test('a newcomer whose own handshake exceeds maxQueue is not dropped while it reads', {
  timeout: 60_000,
}, async (t) => {
  const h = await start(t, { vectors: 4, maxQueue: 64 });
  const drainers: DrainingPeer[] = [];
  t.after(() => drainers.forEach((peer) => peer.close()));
  for (let i = 0; i < 100; i++) {
    const peer = new DrainingPeer(h.path);
    drainers.push(peer);
    await peer.established(4, 2000);
  }
  assert.equal(h.server.peers.size, 100);
  drainers.forEach((d) => d.close());
  await h.done();
});
