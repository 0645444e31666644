// The switch's one-slot outbox against a fake slot (a plain object whose
// isFree we control, recording deliveries), with real timers and small
// values: one letter out at a time, FIFO, timeouts, per-port bounds, drop,
// close.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { TimeoutError } from '../../src/mailbox/slot-timeout.js';
import { Courier, type CourierOptions, type Letter, type OutboxSlot } from '../../src/fabric/courier.js';
import { sleep, waitFor } from '../helpers/fds.js';

class FakeSlot implements OutboxSlot {
  /** What the receiver would have done: true once it handed the slot back. */
  free = true;
  readonly deliveries: Array<{ to: number; text: string }> = [];
  /** Every call, in order. */
  readonly calls: string[] = [];
  isFreeCalls = 0;

  isFree(): boolean {
    this.isFreeCalls++;
    return this.free;
  }

  deliver(to: number, text: string): void {
    assert.equal(this.free, true, `delivered "${text}" to ${to} while the slot was still out`);
    this.free = false;
    this.deliveries.push({ to, text });
    this.calls.push(`deliver ${to} ${text}`);
  }

  takeBack(): void {
    this.free = true;
    this.calls.push('takeBack');
  }

  texts(): string[] {
    return this.deliveries.map((d) => d.text);
  }
}

interface Outcome {
  /** Letter text → what done() was called with, in call order ('ok' or the error). */
  settled: Array<[string, 'ok' | Error]>;
  letter(to: number, text: string): Letter;
  result(text: string): 'ok' | Error | undefined;
}

function outcomes(): Outcome {
  const settled: Array<[string, 'ok' | Error]> = [];
  return {
    settled,
    letter: (to, text) => ({
      to,
      text,
      done: (error) => {
        settled.push([text, error ?? 'ok']);
      },
    }),
    result: (text) => {
      const all = settled.filter(([t]) => t === text);
      assert.ok(all.length <= 1, `done() called ${all.length} times for "${text}"`);
      return all[0]?.[1];
    },
  };
}

function courier(
  t: TestContext,
  options: CourierOptions = {},
): { slot: FakeSlot; courier: Courier; timeouts: number[] } {
  const slot = new FakeSlot();
  const timeouts: number[] = [];
  const c = new Courier(slot, { onTimeout: (to) => timeouts.push(to), ...options });
  t.after(() => c.close());
  return { slot, courier: c, timeouts };
}

test('one letter out at a time, in FIFO order; the next leaves as soon as poke() finds the slot free', (t) => {
  const { slot, courier: c } = courier(t, { timeoutMs: 5000 });
  const o = outcomes();
  assert.equal(c.pending, 0);
  assert.equal(c.send(o.letter(3, 'one')), true);
  assert.deepEqual(slot.deliveries, [{ to: 3, text: 'one' }], 'the first leaves at once');
  assert.equal(c.send(o.letter(4, 'two')), true);
  assert.equal(c.send(o.letter(3, 'three')), true);
  assert.equal(c.send(o.letter(5, 'four')), true);
  assert.deepEqual(slot.texts(), ['one'], 'nothing else while the slot is out');
  assert.equal(c.pending, 4);
  c.poke();
  c.poke();
  assert.deepEqual(slot.texts(), ['one'], 'poking a slot still out changes nothing');
  assert.equal(o.result('one'), undefined);

  slot.free = true; // the receiver took it
  c.poke();
  assert.equal(o.result('one'), 'ok');
  assert.deepEqual(slot.texts(), ['one', 'two'], 'the next left in the same poke()');
  assert.equal(c.pending, 3);
  slot.free = true;
  c.poke();
  slot.free = true;
  c.poke();
  assert.deepEqual(slot.deliveries, [
    { to: 3, text: 'one' },
    { to: 4, text: 'two' },
    { to: 3, text: 'three' },
    { to: 5, text: 'four' },
  ]);
  assert.deepEqual(o.settled, [
    ['one', 'ok'],
    ['two', 'ok'],
    ['three', 'ok'],
  ]);
  slot.free = true;
  c.poke();
  assert.deepEqual(
    o.settled.map(([text]) => text),
    ['one', 'two', 'three', 'four'],
  );
  assert.equal(c.pending, 0);
  c.poke();
  assert.equal(slot.deliveries.length, 4, 'an empty courier delivers nothing');
  assert.deepEqual(
    slot.calls.filter((call) => call === 'takeBack'),
    [],
    'nothing was taken back',
  );
});

test("without poke(), the courier's own timer notices a freed slot soon (it backs off to 16 ms, well under the timeout)", async (t) => {
  const { slot, courier: c } = courier(t, { timeoutMs: 5000 });
  const o = outcomes();
  c.send(o.letter(1, 'a'));
  c.send(o.letter(1, 'b'));
  await sleep(60); // past the back-off to its slowest poll
  assert.deepEqual(slot.texts(), ['a']);
  const polls = slot.isFreeCalls;
  assert.ok(polls >= 3 && polls <= 40, `the slot was polled ${polls} times in 60 ms (1, 2, 4, 8, 16, 16 ms ...)`);
  slot.free = true;
  const freedAt = performance.now();
  await waitFor(() => slot.deliveries.length === 2, 'b to leave without a poke', 1000, 1);
  assert.ok(performance.now() - freedAt < 100, 'noticed within a poll interval or so');
  assert.equal(o.result('a'), 'ok');
  slot.free = true;
  await waitFor(() => o.result('b') === 'ok', 'b done', 1000, 1);
  // Idle: no timer polls an empty courier.
  const idle = slot.isFreeCalls;
  await sleep(40);
  assert.equal(slot.isFreeCalls, idle, 'no polling while nothing is out');
});

test('timeout: the slot is taken back, done(TimeoutError), onTimeout(to), then the next letter leaves', async (t) => {
  const { slot, courier: c, timeouts } = courier(t, { timeoutMs: 30 });
  const o = outcomes();
  const sent = performance.now();
  c.send(o.letter(7, 'kept'));
  c.send(o.letter(8, 'next'));
  await sleep(10);
  c.poke();
  assert.deepEqual([slot.texts(), timeouts, o.settled.length], [['kept'], [], 0], 'not before the timeout');
  await waitFor(() => timeouts.length > 0, 'the timeout', 2000, 1);
  const elapsed = performance.now() - sent;
  assert.ok(elapsed >= 29, `timed out after ${elapsed.toFixed(1)} ms, not before 30`);
  assert.ok(elapsed < 30 + 200, `timed out after ${elapsed.toFixed(1)} ms: polled at least every 16 ms`);
  assert.deepEqual(timeouts, [7]);
  const error = o.result('kept');
  assert.ok(error instanceof TimeoutError, `done(${String(error)})`);
  assert.equal(error.name, 'TimeoutError');
  assert.match(error.message, /peer 7 did not take the message within 30 ms: slot taken back/);
  assert.deepEqual(slot.calls, ['deliver 7 kept', 'takeBack', 'deliver 8 next'], 'taken back before the next left');
  assert.equal(c.pending, 1);
  // The next one is taken in time: no timeout for it.
  slot.free = true;
  c.poke();
  assert.equal(o.result('next'), 'ok');
  await sleep(50);
  assert.deepEqual(timeouts, [7]);
  assert.equal(c.pending, 0);
});

test('timeouts in a row: each letter gets the whole timeout, each times out once, in order', async (t) => {
  const { slot, courier: c, timeouts } = courier(t, { timeoutMs: 30 });
  const o = outcomes();
  for (const text of ['a', 'b', 'c']) c.send(o.letter(text.charCodeAt(0) - 96, text));
  await waitFor(() => o.settled.length === 3, 'all three to time out', 3000, 1);
  assert.deepEqual(timeouts, [1, 2, 3]);
  assert.deepEqual(
    o.settled.map(([text, result]) => [text, result instanceof TimeoutError]),
    [
      ['a', true],
      ['b', true],
      ['c', true],
    ],
  );
  assert.deepEqual(slot.calls, ['deliver 1 a', 'takeBack', 'deliver 2 b', 'takeBack', 'deliver 3 c', 'takeBack']);
  assert.equal(c.pending, 0);
});

test('maxQueuedPerPort: letters for one receiver beyond the bound are refused (the one out counts); others still go', (t) => {
  const { slot, courier: c } = courier(t, { timeoutMs: 5000, maxQueuedPerPort: 2 });
  const o = outcomes();
  assert.equal(c.send(o.letter(3, 'a1')), true);
  assert.equal(c.send(o.letter(3, 'a2')), true);
  assert.equal(c.send(o.letter(3, 'a3')), false, 'the third for port 3');
  assert.equal(c.send(o.letter(4, 'b1')), true, 'another port is not held up');
  assert.equal(c.send(o.letter(4, 'b2')), true);
  assert.equal(c.send(o.letter(4, 'b3')), false);
  assert.equal(c.pending, 4);
  slot.free = true;
  c.poke(); // a1 taken, a2 out
  assert.equal(c.send(o.letter(3, 'a4')), true, 'room again once one was taken');
  assert.equal(c.send(o.letter(3, 'a5')), false);
  for (let i = 0; i < 4; i++) {
    slot.free = true;
    c.poke();
  }
  assert.deepEqual(slot.texts(), ['a1', 'a2', 'b1', 'b2', 'a4']);
  assert.equal(o.result('a3'), undefined, 'a refused letter is never settled');
  assert.equal(o.result('b3'), undefined);
  assert.equal(o.result('a5'), undefined);
  assert.deepEqual(
    o.settled.map(([text]) => text),
    ['a1', 'a2', 'b1', 'b2', 'a4'],
  );
  // The default bound is 16.
  const d = courier(t, { timeoutMs: 5000 });
  let accepted = 0;
  for (let i = 0; i < 20; i++) if (d.courier.send({ to: 1, text: `m${i}` })) accepted++;
  assert.equal(accepted, 16);
  assert.equal(d.courier.send({ to: 2, text: 'other' }), true);
});

test('a timed-out letter frees its place in the per-port bound', async (t) => {
  const { courier: c } = courier(t, { timeoutMs: 30, maxQueuedPerPort: 1 });
  const o = outcomes();
  assert.equal(c.send(o.letter(3, 'x')), true);
  assert.equal(c.send(o.letter(3, 'y')), false);
  await waitFor(() => o.result('x') !== undefined, 'x to time out', 2000, 1);
  assert.equal(c.send(o.letter(3, 'z')), true);
});

test('drop(to): the letter out for that port and its queued letters fail; the slot is taken back; the others go on in order', async (t) => {
  const { slot, courier: c, timeouts } = courier(t, { timeoutMs: 5000, maxQueuedPerPort: 3 });
  const o = outcomes();
  c.send(o.letter(3, 'out-3'));
  c.send(o.letter(4, 'q-4a'));
  c.send(o.letter(3, 'q-3a'));
  c.send(o.letter(5, 'q-5'));
  c.send(o.letter(3, 'q-3b'));
  c.send(o.letter(4, 'q-4b'));
  c.drop(3, 'port 3 left');
  for (const text of ['out-3', 'q-3a', 'q-3b']) {
    const result = o.result(text);
    assert.ok(result instanceof Error && !(result instanceof TimeoutError), `${text}: ${String(result)}`);
    assert.equal(result.message, 'port 3 left');
  }
  assert.deepEqual(slot.calls, ['deliver 3 out-3', 'takeBack']);
  assert.equal(c.pending, 3);
  await waitFor(() => slot.deliveries.length === 2, 'the next letter to leave after the drop', 1000, 1);
  assert.deepEqual(slot.deliveries[1], { to: 4, text: 'q-4a' });
  for (let i = 0; i < 2; i++) {
    slot.free = true;
    c.poke();
  }
  slot.free = true;
  c.poke();
  assert.deepEqual(slot.texts(), ['out-3', 'q-4a', 'q-5', 'q-4b']);
  assert.deepEqual([o.result('q-4a'), o.result('q-5'), o.result('q-4b')], ['ok', 'ok', 'ok']);
  assert.deepEqual(timeouts, [], 'a drop is no timeout');
  assert.equal(c.pending, 0);
  // The dropped port's bound is free again.
  for (let i = 0; i < 3; i++) assert.equal(c.send({ to: 3, text: `again ${i}` }), true);
});

test('drop(to) of a port with only queued letters leaves the letter out alone', (t) => {
  const { slot, courier: c } = courier(t, { timeoutMs: 5000 });
  const o = outcomes();
  c.send(o.letter(1, 'out-1'));
  c.send(o.letter(2, 'q-2'));
  c.send(o.letter(1, 'q-1'));
  c.drop(2, 'gone');
  assert.equal((o.result('q-2') as Error).message, 'gone');
  assert.equal(o.result('out-1'), undefined);
  assert.deepEqual(slot.calls, ['deliver 1 out-1'], 'not taken back');
  c.drop(9, 'nobody'); // a port with nothing: nothing happens
  assert.equal(c.pending, 2);
  slot.free = true;
  c.poke();
  assert.deepEqual(slot.texts(), ['out-1', 'q-1']);
});

test('close(): everything waiting fails, the one out included, and no timer is left', async (t) => {
  const { slot, courier: c, timeouts } = courier(t, { timeoutMs: 30 });
  const o = outcomes();
  c.send(o.letter(1, 'out'));
  c.send(o.letter(2, 'q1'));
  c.send(o.letter(3, 'q2'));
  c.close();
  for (const text of ['out', 'q1', 'q2']) {
    const result = o.result(text);
    assert.ok(result instanceof Error, text);
    assert.equal(result.message, 'the fabric closed');
  }
  assert.equal(c.pending, 0);
  const polls = slot.isFreeCalls;
  await sleep(80);
  assert.deepEqual(timeouts, [], 'no timeout after close');
  assert.equal(slot.isFreeCalls, polls, 'no timer polls the slot after close');
  assert.deepEqual(slot.texts(), ['out']);
  c.close(); // twice: harmless
  assert.equal(o.settled.length, 3, 'each letter settled once');
});

test('after close(), a letter is not delivered (refused or failed) and starts no timer', async (t) => {
  const { slot, courier: c, timeouts } = courier(t, { timeoutMs: 30 });
  c.close();
  const o = outcomes();
  const accepted = c.send(o.letter(1, 'late'));
  await sleep(80);
  assert.deepEqual(slot.texts(), [], 'a closed courier delivers nothing');
  assert.deepEqual(timeouts, []);
  if (accepted) assert.ok(o.result('late') instanceof Error, 'accepted, then failed');
});
