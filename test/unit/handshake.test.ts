// What the server sends, to whom and in which order (src/protocol/handshake.ts; QEMU's docs/specs/ivshmem-spec.rst).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  joinMessages,
  leaveMessages,
  refusalMessage,
  type Outgoing,
  type PeerDoorbells,
} from '../../src/protocol/handshake.js';
import { REFUSAL_VERSION } from '../../src/protocol/message.js';

const MEMORY_FD = 99;

/** "to:value" or "to:value+fd" — readable in a diff. */
function show(messages: Outgoing[]): string[] {
  return messages.map((m) => `${m.to}:${m.value}${m.fd === undefined ? '' : `+${m.fd}`}`);
}

// Fds are opaque numbers here: peer p's eventfd for vector v is p*10+v (+100 to keep them apart from ids).
function peer(id: number, vectors: number): PeerDoorbells {
  return { id, eventfds: Array.from({ length: vectors }, (_, v) => 100 + id * 10 + v) };
}

test('qemu: a first peer gets version, id, memory, then its own eventfds', () => {
  assert.deepEqual(show(joinMessages('qemu', peer(0, 2), [], MEMORY_FD)), [
    '0:0',
    '0:0',
    '0:-1+99',
    '0:0+100',
    '0:0+101',
  ]);
});

test('qemu: join order is version, id, memory, newcomer to others, others to newcomer, own last', () => {
  const others = [peer(1, 3), peer(4, 3)];
  const newcomer = peer(2, 3);
  const messages = joinMessages('qemu', newcomer, others, MEMORY_FD);
  assert.deepEqual(show(messages), [
    // 1-3: to the newcomer
    '2:0',
    '2:2',
    '2:-1+99',
    // 4: the newcomer's eventfds to every existing peer, one message per vector
    '1:2+120',
    '1:2+121',
    '1:2+122',
    '4:2+120',
    '4:2+121',
    '4:2+122',
    // 5: every existing peer's eventfds to the newcomer
    '2:1+110',
    '2:1+111',
    '2:1+112',
    '2:4+140',
    '2:4+141',
    '2:4+142',
    // 6: the newcomer's own eventfds last
    '2:2+120',
    '2:2+121',
    '2:2+122',
  ]);
  // No message carries more than one fd and only the memory message carries the memory fd.
  assert.equal(messages.filter((m) => m.fd === MEMORY_FD).length, 1);
  assert.equal(messages.filter((m) => m.value === -1).length, 1);
});

test('qemu: the version and id messages carry no fd', () => {
  const [version, id, memory] = joinMessages('qemu', peer(7, 1), [peer(3, 1)], MEMORY_FD);
  assert.equal(version!.fd, undefined);
  assert.equal(id!.fd, undefined);
  assert.equal(memory!.fd, MEMORY_FD);
});

test('legacy: no version; all peers including the newcomer in ascending id order, then the newcomer to the others', () => {
  const others = [peer(1, 2), peer(4, 2)];
  const newcomer = peer(2, 2);
  assert.deepEqual(show(joinMessages('legacy', newcomer, others, MEMORY_FD)), [
    '2:2',
    '2:-1+99',
    '2:1+110',
    '2:1+111',
    '2:2+120',
    '2:2+121',
    '2:4+140',
    '2:4+141',
    '1:2+120',
    '1:2+121',
    '4:2+120',
    '4:2+121',
  ]);
});

test('legacy: a newcomer with the lowest id comes first in its own list', () => {
  assert.deepEqual(show(joinMessages('legacy', peer(0, 1), [peer(3, 1), peer(5, 1)], MEMORY_FD)), [
    '0:0',
    '0:-1+99',
    '0:0+100',
    '0:3+130',
    '0:5+150',
    '3:0+100',
    '5:0+100',
  ]);
});

test('legacy: a first peer gets id, memory, its own eventfds', () => {
  assert.deepEqual(show(joinMessages('legacy', peer(9, 3), [], MEMORY_FD)), [
    '9:9',
    '9:-1+99',
    '9:9+190',
    '9:9+191',
    '9:9+192',
  ]);
});

test('leaveMessages: the id without an fd to every remaining peer', () => {
  const messages = leaveMessages(3, [0, 1, 7]);
  assert.deepEqual(show(messages), ['0:3', '1:3', '7:3']);
  assert.ok(messages.every((m) => m.fd === undefined));
  assert.deepEqual(leaveMessages(3, []), []);
});

test('refusalMessage: qemu gets a version QEMU rejects; legacy an id QEMU rejects', () => {
  assert.equal(refusalMessage('qemu'), REFUSAL_VERSION);
  assert.equal(REFUSAL_VERSION, 0x7fffffff);
  const legacy = refusalMessage('legacy');
  assert.ok(legacy < 0 || legacy > 0xffff, `legacy refusal ${legacy} must not be a valid id`);
  assert.notEqual(legacy, -1, 'legacy refusal must not look like the memory message');
});
