// The stream's budget for busy events: messages and traces past it are
// counted, not streamed; everything else always passes.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { EventBudget } from '../../src/web/event-budget.js';
import type { SourceEvent } from '../../src/web/index.js';

test('messages and traces pass at most N a second; joins, faults and warnings always', () => {
  let now = 0;
  const budget = new EventBudget(3, () => now);
  const message: SourceEvent = { type: 'message', from: 1, to: 15, nodename: 'z01', body: 'ping' };
  const warning: SourceEvent = { type: 'warning', text: 'careful' };
  assert.deepEqual(
    Array.from({ length: 10 }, () => budget.allows(message)),
    [true, true, true, false, false, false, false, false, false, false],
  );
  assert.equal(budget.allows(warning), true);
  assert.equal(budget.allows({ type: 'fault', change: { kind: 'clear' }, text: 'every fault cleared' }), true);
  assert.equal(budget.skipped, 7);
  now = 999;
  assert.equal(budget.allows(message), false, 'the same second');
  now = 1000;
  assert.equal(budget.allows(message), true, 'the next second');
});
