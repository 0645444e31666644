import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IdAllocator } from '../../src/server/ids.js';

/** Allocates through `ids` while tracking the taken set like the server does. */
function pool(policy?: 'rotate' | 'lowest') {
  const allocator = new IdAllocator(policy);
  const taken = new Set<number>();
  return {
    allocator,
    taken,
    next(): number | undefined {
      const id = allocator.allocate((candidate) => taken.has(candidate));
      if (id !== undefined) {
        assert.equal(taken.has(id), false, `allocated taken id ${id}`);
        taken.add(id);
      }
      return id;
    },
  };
}

test("the default policy is 'rotate'", () => {
  assert.equal(new IdAllocator().policy, 'rotate');
});

test("'rotate' gives 0, 1, 2 and does not reuse a freed id before wrap-around", () => {
  const p = pool('rotate');
  assert.deepEqual([p.next(), p.next(), p.next()], [0, 1, 2]);
  p.taken.delete(1);
  assert.equal(p.next(), 3);
  p.taken.delete(0);
  p.taken.delete(3);
  assert.equal(p.next(), 4);
  assert.equal(p.next(), 5);
});

test("'rotate' wraps around at 65536 and then skips ids still taken", () => {
  const p = pool('rotate');
  for (let i = 0; i < 65536; i++) assert.equal(p.next(), i);
  // Everything taken.
  assert.equal(p.next(), undefined);
  p.taken.delete(7);
  p.taken.delete(3);
  // The counter wrapped to 0: the first free one from there is 3.
  assert.equal(p.next(), 3);
  assert.equal(p.next(), 7);
  assert.equal(p.next(), undefined);
  p.taken.delete(65535);
  p.taken.delete(2);
  // Moves on from 8: 65535 comes before 2 again.
  assert.equal(p.next(), 65535);
  assert.equal(p.next(), 2);
});

test("'rotate' counts on from the last id handed out even when some were skipped", () => {
  const p = pool('rotate');
  p.taken.add(0);
  p.taken.add(1);
  assert.equal(p.next(), 2);
  p.taken.delete(0);
  assert.equal(p.next(), 3);
});

test("'lowest' reuses the lowest free id", () => {
  const p = pool('lowest');
  assert.deepEqual([p.next(), p.next(), p.next(), p.next()], [0, 1, 2, 3]);
  p.taken.delete(1);
  assert.equal(p.next(), 1);
  p.taken.delete(2);
  p.taken.delete(0);
  assert.equal(p.next(), 0);
  assert.equal(p.next(), 2);
  assert.equal(p.next(), 4);
});

test('undefined when all 65536 ids are taken, for both policies', () => {
  for (const policy of ['rotate', 'lowest'] as const) {
    const allocator = new IdAllocator(policy);
    assert.equal(
      allocator.allocate(() => true),
      undefined,
      policy,
    );
    // ... and the last free one is found wherever it is.
    assert.equal(
      allocator.allocate((id) => id !== 65535),
      65535,
      policy,
    );
    assert.equal(
      allocator.allocate((id) => id !== 0),
      0,
      policy,
    );
  }
});

test("a range: 'lowest' and 'rotate' stay within it; 'random' gives every free id of it and nothing else", () => {
  const range = { first: 1, last: 14 };
  for (const policy of ['lowest', 'rotate', 'random'] as const) {
    const allocator = new IdAllocator(policy, range);
    const taken = new Set<number>();
    for (let i = 0; i < 14; i++) {
      const id = allocator.allocate((candidate) => taken.has(candidate));
      assert.ok(id !== undefined && id >= 1 && id <= 14 && !taken.has(id), `${policy}: ${id}`);
      taken.add(id);
    }
    assert.equal(
      allocator.allocate((candidate) => taken.has(candidate)),
      undefined,
      `${policy}: full`,
    );
    taken.delete(7);
    assert.equal(
      allocator.allocate((candidate) => taken.has(candidate)),
      7,
      `${policy}: the one free id`,
    );
  }
  const seen = new Set<number>();
  const random = new IdAllocator('random', range);
  for (let i = 0; i < 500; i++) seen.add(random.allocate(() => false)!);
  assert.deepEqual(
    [...seen].sort((a, b) => a - b),
    Array.from({ length: 14 }, (_, i) => i + 1),
    'random reaches every id',
  );
  assert.throws(() => new IdAllocator('lowest', { first: 5, last: 4 }), RangeError);
  assert.throws(() => new IdAllocator('lowest', { first: 0, last: 65536 }), RangeError);
});
