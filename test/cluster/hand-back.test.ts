// A slot handed back across hosts: the sender's fabric hands it back when the
// receiving host says the message was taken. A famez peer (it says
// HandBack=ring in its attributes) is rung on its own vector then, so it sees
// its slot free at once; a peer that did not ask (a guest, FAME-Z's client)
// is never rung on a vector it does not expect.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from '../../src/client/index.js';
import { connectFabric, type ChatMessage } from '../../src/fabric/index.js';
import { mapMailbox } from '../../src/fabric/peer-mailbox.js';
import { waitFor } from '../server/helpers.js';
import { fabricPeer, westAndEast } from './hosts.js';
import { natsMissing } from './nats-server.js';

test('a message taken on another host rings a famez sender on its own vector, and never a sender that did not ask', {
  timeout: 60_000,
  skip: natsMissing,
}, async (t) => {
  const { west, east } = await westAndEast(t);
  const atEast: ChatMessage[] = [];
  const receiver = await fabricPeer(t, east, atEast);
  const sender = await connectFabric({ path: west.fabric.socketPath });
  t.after(() => sender.close());
  await sender.greeting;
  await waitFor(
    () => west.fabric.switch?.ports.get(sender.id)?.peerAttributes.HandBack === 'ring',
    "west's switch to hear the sender's HandBack=ring",
  );
  await waitFor(() => sender.client.peers.has(receiver.id), 'west to know the east peer', 15_000);
  let ownRings = 0;
  sender.client.on('doorbell', ({ vector }) => {
    if (vector === sender.id) ownRings++;
  });
  for (let i = 0; i < 5; i++) await sender.send(receiver.id, `hello ${i}`);
  // Sent the moment west knew the receiver: east may not know the sender yet, and still takes each once.
  const fromSender = (): string[] => atEast.filter((m) => m.from === sender.id).map((m) => m.body);
  await waitFor(
    () => fromSender().length === 5,
    () => `east to take 5 messages, took ${fromSender()}`,
  );
  assert.deepEqual(fromSender(), ['hello 0', 'hello 1', 'hello 2', 'hello 3', 'hello 4']);
  await waitFor(() => ownRings > 0, 'the sender to be rung on its own vector as its slot came back');

  // A plain ivshmem peer writes its slot and rings, as a guest's driver does: its slot comes back, unrung.
  const plain = await connect({ path: west.fabric.socketPath });
  t.after(() => plain.close());
  const { mailbox } = mapMailbox(plain);
  let plainOwnRings = 0;
  plain.on('doorbell', ({ vector }) => {
    if (vector === plain.id) plainOwnRings++;
  });
  await waitFor(() => plain.peers.has(receiver.id), 'the plain peer to know the east peer', 15_000);
  mailbox.put(plain.id, 'from a plain peer');
  plain.ring(receiver.id, plain.id);
  await waitFor(() => mailbox.isFree(plain.id), "the plain peer's slot to come back", 15_000);
  // Anything rung with that hand-back has arrived by the time a later message from west has crossed.
  await sender.send(receiver.id, 'after');
  await waitFor(() => atEast.some((m) => m.body === 'after'), 'the later message to cross');
  assert.ok(atEast.some((m) => m.body === 'from a plain peer'));
  assert.equal(plainOwnRings, 0);
});
