// The client's reading of a server stream: everything QEMU accepts, nothing it rejects.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClientStream, ProtocolError } from '../../src/protocol/client-stream.js';

const MEM = 50;

function established(protocol: 'qemu' | 'legacy' = 'qemu', id = 3): ClientStream {
  const stream = new ClientStream(protocol);
  if (protocol === 'qemu') assert.equal(stream.feed(0), undefined);
  assert.deepEqual(stream.feed(id), { type: 'id', id });
  assert.deepEqual(stream.feed(-1, MEM), { type: 'memory', fd: MEM });
  assert.equal(stream.established, true);
  return stream;
}

test('qemu: accepts a valid stream and reports what it means', () => {
  const stream = new ClientStream('qemu');
  assert.equal(stream.established, false);
  assert.equal(stream.feed(0), undefined);
  assert.equal(stream.established, false);
  assert.deepEqual(stream.feed(2), { type: 'id', id: 2 });
  assert.equal(stream.established, false);
  assert.deepEqual(stream.feed(-1, MEM), { type: 'memory', fd: MEM });
  assert.equal(stream.established, true);
  assert.deepEqual(stream.feed(0, 10), { type: 'vector', peer: 0, vector: 0, fd: 10 });
  assert.deepEqual(stream.feed(0, 11), { type: 'vector', peer: 0, vector: 1, fd: 11 });
  assert.deepEqual(stream.feed(2, 20), { type: 'vector', peer: 2, vector: 0, fd: 20 });
  assert.deepEqual(stream.feed(2, 21), { type: 'vector', peer: 2, vector: 1, fd: 21 });
  assert.deepEqual(stream.feed(65535, 30), { type: 'vector', peer: 65535, vector: 0, fd: 30 });
  assert.deepEqual(stream.feed(0), { type: 'gone', peer: 0 });
  // A peer that comes back under the same id starts again at vector 0.
  assert.deepEqual(stream.feed(0, 12), { type: 'vector', peer: 0, vector: 0, fd: 12 });
});

test('legacy: no version message; id first', () => {
  const stream = new ClientStream('legacy');
  assert.deepEqual(stream.feed(0), { type: 'id', id: 0 });
  assert.deepEqual(stream.feed(-1, MEM), { type: 'memory', fd: MEM });
  assert.deepEqual(stream.feed(0, 7), { type: 'vector', peer: 0, vector: 0, fd: 7 });
});

test('the default protocol is qemu', () => {
  assert.equal(new ClientStream().protocol, 'qemu');
  assert.throws(() => new ClientStream().feed(5), ProtocolError); // 5 is no version
});

test('rejects a version other than 0', () => {
  for (const version of [1, -1, 2, 65535]) {
    assert.throws(
      () => new ClientStream('qemu').feed(version),
      (e: Error) => e instanceof ProtocolError && e.message.includes(`version ${version}`),
      `version ${version}`,
    );
  }
  assert.throws(() => new ClientStream('qemu').feed(2n ** 60n), ProtocolError);
});

test('rejects a version message that carries an fd', () => {
  assert.throws(() => new ClientStream('qemu').feed(0, 4), ProtocolError);
});

test('rejects the refusal version with a message that says the server refused', () => {
  assert.throws(
    () => new ClientStream('qemu').feed(0x7fffffff),
    (e: Error) => e instanceof ProtocolError && /refused/.test(e.message),
  );
});

test('rejects an id out of range or with an fd', () => {
  for (const id of [-1, -2, 65536, 0x7fffffff, 2n ** 62n]) {
    const stream = new ClientStream('qemu');
    stream.feed(0);
    assert.throws(() => stream.feed(id), ProtocolError, `id ${id}`);
  }
  const withFd = new ClientStream('qemu');
  withFd.feed(0);
  assert.throws(() => withFd.feed(1, 9), ProtocolError);
  assert.throws(() => new ClientStream('legacy').feed(70000), ProtocolError);
  assert.throws(() => new ClientStream('legacy').feed(-2), ProtocolError);
});

test('rejects a memory message without an fd, or another value with an fd', () => {
  const noFd = new ClientStream('qemu');
  noFd.feed(0);
  noFd.feed(1);
  assert.throws(() => noFd.feed(-1), ProtocolError);
  const wrongValue = new ClientStream('qemu');
  wrongValue.feed(0);
  wrongValue.feed(1);
  assert.throws(() => wrongValue.feed(1, MEM), ProtocolError);
  assert.equal(wrongValue.established, false);
});

test('rejects a value out of range after setup', () => {
  for (const value of [-1, -2, 65536, 2n ** 53n, -(2n ** 63n)]) {
    assert.throws(() => established().feed(value, 8), ProtocolError, `${value} with fd`);
    assert.throws(() => established().feed(value), ProtocolError, `${value} without fd`);
  }
});

test('accepts 256 vectors for a peer and rejects the 257th', () => {
  const stream = established();
  for (let v = 0; v < 256; v++)
    assert.deepEqual(stream.feed(5, 1000 + v), { type: 'vector', peer: 5, vector: v, fd: 1000 + v });
  assert.throws(() => stream.feed(5, 2000), ProtocolError);
  // Other peers are counted separately.
  assert.deepEqual(stream.feed(6, 3000), { type: 'vector', peer: 6, vector: 0, fd: 3000 });
});

test('legacy established stream rejects the same bad values', () => {
  assert.throws(() => established('legacy').feed(65536, 8), ProtocolError);
  assert.throws(() => established('legacy').feed(-1, 8), ProtocolError);
});

test("legacy: the server's own legacy refusal (-2) is reported as a refusal", () => {
  assert.throws(
    () => new ClientStream('legacy').feed(-2),
    (e: Error) => e instanceof ProtocolError && /refused/.test(e.message),
  );
});
