// A peer is announced ('peer', client.peers) only once all of its vectors are
// here, though the client drains its socket in the middle of the server's
// announcement: a scripted server sends a peer's vectors apart and waits for
// the client to have read the first before it sends the rest.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type FamezClient } from '../../src/client/index.js';
import { encode } from '../../src/protocol/message.js';
import * as sys from '../../src/sys/index.js';
import { waitFor } from '../helpers/fds.js';
import { FakeServer, type Chunk } from './fake-server.js';

const msg = (value: number, fd?: Chunk['fd']): Chunk => ({ bytes: encode(value), fd });

/** Sends one message on the server's side of the connection (with a fresh eventfd unless `gone`). */
function announce(fd: sys.Fd, peer: number, gone = false): void {
  const eventfd = gone ? undefined : sys.createEventfd();
  try {
    sys.send(fd, encode(peer), eventfd);
  } finally {
    if (eventfd !== undefined) sys.close(eventfd);
  }
}

/** Waits until the client has read `count` vectors of `peer` (announced or not). */
const received = (client: FamezClient, peer: number, count: number) =>
  waitFor(() => client.doorbellFds(peer).length === count, `${count} vectors of peer ${peer} read`);

async function scripted(
  handshake: Chunk[],
  body: (client: FamezClient, fd: sys.Fd, events: string[]) => Promise<void>,
): Promise<void> {
  const server = new FakeServer();
  const serving = server.serve(handshake, true);
  const client = await connect({ path: server.path, timeoutMs: 5000 });
  const fd = (await serving)!;
  const events: string[] = [];
  client.on('peer', (id) => events.push(`peer ${id}`));
  client.on('peer-gone', (id) => events.push(`gone ${id}`));
  try {
    await body(client, fd, events);
  } finally {
    client.close();
    sys.close(fd);
    server.close();
  }
}

test('a joining peer is announced once all its vectors are here, not when the socket is drained', {
  timeout: 20_000,
}, async () => {
  const handshake = [
    msg(0),
    msg(1),
    msg(-1, 'memfd'),
    msg(0, 'eventfd'),
    msg(0, 'eventfd'),
    msg(1, 'eventfd'),
    msg(1, 'eventfd'),
  ];
  await scripted(handshake, async (client, fd, events) => {
    assert.equal(client.vectors, 2);
    assert.equal(client.peers.get(0), 2);

    announce(fd, 5);
    await received(client, 5, 1);
    assert.equal(client.peers.has(5), false, 'peer 5 is not there with 1 vector of 2');
    assert.throws(() => client.ring(5, 1), /vectors 0\.\.0, not 1/);
    assert.deepEqual(events, []);
    announce(fd, 5);
    await waitFor(() => events.length > 0, 'peer 5 announced');
    assert.deepEqual(events, ['peer 5']);
    assert.equal(client.peers.get(5), 2);
    client.ring(5, 1);

    // A peer that leaves before its vectors are all here was never there.
    announce(fd, 6);
    await received(client, 6, 1);
    announce(fd, 6, true);
    announce(fd, 7);
    announce(fd, 7);
    await waitFor(() => client.peers.has(7), 'peer 7 announced');
    assert.deepEqual(events, ['peer 5', 'peer 7']);
    assert.equal(client.peers.has(6), false);
  });
});

test('alone on the server, the first peer to join shows how many vectors everyone has', {
  timeout: 20_000,
}, async () => {
  // Our own vectors arrive apart: the handshake ends with the first; the second comes later.
  await scripted([msg(0), msg(3), msg(-1, 'memfd'), msg(3, 'eventfd')], async (client, fd, events) => {
    assert.equal(client.vectors, 1);
    announce(fd, 3);
    await waitFor(() => client.vectors === 2, 'our second vector');
    announce(fd, 8);
    await received(client, 8, 1);
    assert.equal(client.peers.has(8), false, 'peer 8 is not there with 1 vector of 2');
    announce(fd, 8);
    await waitFor(() => client.peers.has(8), 'peer 8 announced');
    assert.equal(client.peers.get(8), 2);
    assert.deepEqual(events, ['peer 8']);
  });
});
