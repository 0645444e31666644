// After a failed accept the server stops watching its listener for a while
// (it is level-triggered: an immediate retry would spin while the cause lasts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AcceptBackoff } from '../../src/server/accept-backoff.js';
import { FdReserve } from '../../src/server/fd-reserve.js';
import { fdBaseline } from '../server/helpers.js';

test('accept backoff: 100 ms, doubling to 5 s, and from the start again after an accept', { timeout: 5000 }, () => {
  const backoff = new AcceptBackoff();
  assert.deepEqual(
    Array.from({ length: 8 }, () => backoff.next()),
    [100, 200, 400, 800, 1600, 3200, 5000, 5000],
  );
  backoff.reset();
  assert.equal(backoff.next(), 100);
});

test('fd reserve: holds the fds asked for, gives back the surplus, lets all go', { timeout: 5000 }, async () => {
  const fds = fdBaseline();
  const reserve = new FdReserve();
  assert.equal(reserve.fill(5), 5);
  assert.equal(fds.count + 5, (await import('../helpers/fds.js')).openFdCount());
  assert.equal(reserve.fill(2), 2);
  reserve.release();
  assert.equal(reserve.size, 0);
  await fds.check();
});
