import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatSize, isPowerOfTwo, MAX_SIZE, MIN_SIZE, nextPowerOfTwo, parseSize } from '../../src/memory/size.js';

const K = 1024,
  M = K ** 2,
  G = K ** 3,
  T = K ** 4;

test('parseSize: plain bytes and K/M/G/T suffixes (powers of 1024)', () => {
  assert.equal(parseSize('4096'), 4096);
  assert.equal(parseSize('4K'), 4 * K);
  assert.equal(parseSize('4k'), 4 * K);
  assert.equal(parseSize('64M'), 64 * M);
  assert.equal(parseSize('1M'), M);
  assert.equal(parseSize('5G'), 5 * G);
  assert.equal(parseSize('1T'), T);
  assert.equal(parseSize('16T'), 16 * T);
  assert.equal(parseSize('16384G'), 16 * T);
  assert.equal(parseSize('4MiB'), 4 * M);
  assert.equal(parseSize('4MB'), 4 * M);
  assert.equal(parseSize(' 8M '), 8 * M);
});

test('parseSize: the range is 4K..16T inclusive', () => {
  assert.equal(MIN_SIZE, 4 * K);
  assert.equal(MAX_SIZE, 16 * T);
  assert.equal(parseSize(String(4 * K)), 4 * K);
  for (const text of ['4095', '1K', '3K', '0', '0K', '17T', '16385G', `${16 * T + 1}`, '99999999999T']) {
    assert.throws(
      () => parseSize(text),
      (e: Error) => e instanceof RangeError && /range/.test(e.message),
      text,
    );
  }
});

test('parseSize: bad text is refused with a one-line message that quotes it', () => {
  for (const text of ['', 'abc', '4Q', '4.5M', '-4K', '4 M M', 'M', '0x1000', '1e6', '4KK', '4Mb2']) {
    assert.throws(
      () => parseSize(text),
      (e: Error) => e instanceof RangeError && e.message.includes(`"${text}"`) && !e.message.includes('\n'),
      JSON.stringify(text),
    );
  }
});

test('isPowerOfTwo', () => {
  for (const n of [1, 2, 4, 4096, 2 ** 30, 2 ** 33, 2 ** 44]) assert.equal(isPowerOfTwo(n), true, `${n}`);
  for (const n of [0, -4, 3, 6, 4095, 4097, 5 * G, 2 ** 44 - 1, 2 ** 44 + 2 ** 20, 1.5, NaN, Infinity]) {
    assert.equal(isPowerOfTwo(n), false, `${n}`);
  }
});

test('nextPowerOfTwo', () => {
  assert.equal(nextPowerOfTwo(1), 1);
  assert.equal(nextPowerOfTwo(3), 4);
  assert.equal(nextPowerOfTwo(4096), 4096);
  assert.equal(nextPowerOfTwo(4097), 8192);
  assert.equal(nextPowerOfTwo(5 * G), 8 * G);
  assert.equal(nextPowerOfTwo(8 * G), 8 * G);
  assert.equal(nextPowerOfTwo(8 * G + 1), 16 * G);
  assert.equal(nextPowerOfTwo(2 ** 43 + 1), 2 ** 44);
  assert.equal(nextPowerOfTwo(2 ** 44 - 1), 2 ** 44);
  // Every value in the usable range rounds to a power of two at least as large.
  for (let e = 12; e <= 43; e++) {
    for (const n of [2 ** e + 1, 2 ** e + 4095, 2 ** (e + 1) - 1]) {
      const p = nextPowerOfTwo(n);
      assert.ok(isPowerOfTwo(p) && p >= n && p / 2 < n, `${n} -> ${p}`);
    }
  }
});

test('formatSize', () => {
  assert.equal(formatSize(8 * G), '8 GiB');
  assert.equal(formatSize(4 * M), '4 MiB');
  assert.equal(formatSize(16 * T), '16 TiB');
  assert.equal(formatSize(4096), '4 KiB');
  assert.equal(formatSize(5000), '5000 B');
});
