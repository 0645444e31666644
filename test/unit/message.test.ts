// The wire format: one little-endian signed 64-bit integer per message.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decode, encode, isPeerId, MESSAGE_SIZE } from '../../src/protocol/message.js';

/** The 8 bytes of `value` as little-endian two's complement, computed independently. */
function leBytes(value: bigint): number[] {
  const unsigned = BigInt.asUintN(64, value);
  return Array.from({ length: 8 }, (_, i) => Number((unsigned >> BigInt(8 * i)) & 0xffn));
}

test('encode writes 8 little-endian bytes', () => {
  assert.equal(MESSAGE_SIZE, 8);
  assert.deepEqual([...encode(0)], [0, 0, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual([...encode(1)], [1, 0, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual([...encode(0x0102)], [2, 1, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual([...encode(65535)], [0xff, 0xff, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual([...encode(0x7fffffff)], [0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0]);
  assert.deepEqual([...encode(-1)], [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
  assert.deepEqual([...encode(-2)], [0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
  assert.deepEqual([...encode(2 ** 40 + 5)], leBytes(2n ** 40n + 5n));
  assert.deepEqual([...encode(Number.MAX_SAFE_INTEGER)], leBytes(BigInt(Number.MAX_SAFE_INTEGER)));
  assert.deepEqual([...encode(Number.MIN_SAFE_INTEGER)], leBytes(BigInt(Number.MIN_SAFE_INTEGER)));
});

test('decode reads 8 little-endian bytes as a signed number', () => {
  assert.equal(decode(Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0])), 0);
  assert.equal(decode(Uint8Array.from([7, 0, 0, 0, 0, 0, 0, 0])), 7);
  assert.equal(decode(Uint8Array.from([0, 1, 0, 0, 0, 0, 0, 0])), 256);
  assert.equal(decode(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])), -1);
  assert.equal(decode(Uint8Array.from([0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0])), 0x7fffffff);
  assert.equal(decode(Uint8Array.from([0, 0, 0, 0x80, 0, 0, 0, 0])), 0x80000000);
  assert.equal(decode(Uint8Array.from(leBytes(BigInt(Number.MAX_SAFE_INTEGER)))), Number.MAX_SAFE_INTEGER);
  assert.equal(decode(Uint8Array.from(leBytes(BigInt(Number.MIN_SAFE_INTEGER)))), Number.MIN_SAFE_INTEGER);
});

test('decode keeps values beyond 2^53 exact as bigint', () => {
  const cases = [2n ** 53n, 2n ** 53n + 1n, 2n ** 63n - 1n, -(2n ** 53n) - 1n, -(2n ** 63n), 0x0102030405060708n];
  for (const value of cases) {
    const decoded = decode(Uint8Array.from(leBytes(value)));
    assert.equal(typeof decoded, 'bigint', `${value}`);
    assert.equal(decoded, value);
  }
  // The most significant byte is the last one.
  assert.equal(decode(Uint8Array.from([8, 7, 6, 5, 4, 3, 2, 1])), 0x0102030405060708n);
  assert.equal(decode(Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0x80])), -(2n ** 63n));
});

test('decode honours the view offset of a subarray', () => {
  const backing = Uint8Array.from([0xaa, 0xbb, 5, 0, 0, 0, 0, 0, 0, 0, 0xcc]);
  assert.equal(decode(backing.subarray(2, 10)), 5);
});

test('decode refuses anything but 8 bytes', () => {
  assert.throws(() => decode(new Uint8Array(7)), RangeError);
  assert.throws(() => decode(new Uint8Array(9)), RangeError);
  assert.throws(() => decode(new Uint8Array(0)), RangeError);
});

test('encode then decode round-trips', () => {
  for (const value of [0, 1, -1, 42, 65535, 65536, -2, 0x7fffffff, 2 ** 52, -(2 ** 52), Number.MAX_SAFE_INTEGER]) {
    assert.equal(decode(encode(value)), value);
  }
});

test('isPeerId accepts exactly the integers 0..65535', () => {
  for (const id of [0, 1, 1000, 65535]) assert.equal(isPeerId(id), true, `${id}`);
  for (const id of [-1, 65536, 1.5, NaN, Infinity, 2n ** 60n, 5n]) assert.equal(isPeerId(id), false, `${id}`);
});
