// --http-events: the web stream's budget for busy events, as shipped (100 a
// second), another number, or off ("all", for measuring the stream's cost).
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { planWeb } from '../../src/cli/web-options.js';
import { EventBudget } from '../../src/web/event-budget.js';
import type { SourceEvent } from '../../src/web/index.js';

const message: SourceEvent = { type: 'message', from: 1, to: 15, nodename: 'z01', body: 'ping' };

test('--http-events: a number sets the budget, "all" turns it off, nothing keeps the default', {
  timeout: 5000,
}, () => {
  assert.equal(planWeb({ http: '127.0.0.1:0' })!.busyEventsPerSecond, undefined);
  assert.equal(planWeb({ http: '127.0.0.1:0', 'http-events': '250' })!.busyEventsPerSecond, 250);
  const all = planWeb({ http: '127.0.0.1:0', 'http-events': 'all' })!.busyEventsPerSecond;
  assert.equal(all, Infinity);
  const budget = new EventBudget(all, () => 0);
  assert.equal(
    Array.from({ length: 100_000 }, () => budget.allows(message)).every(Boolean),
    true,
    'no budget: every message passes',
  );
  assert.equal(budget.skipped, 0);
});

test('--http-events: a bad value or no --http is a one-line error naming the option', { timeout: 5000 }, () => {
  for (const bad of ['0', '-5', '1.5', 'many', '']) {
    assert.throws(
      () => planWeb({ http: '127.0.0.1:0', 'http-events': bad }),
      (error: Error) =>
        /^invalid value for --http-events: ".*" is neither a whole number/.test(error.message) &&
        !error.message.includes('\n'),
    );
  }
  assert.throws(() => planWeb({ 'http-events': 'all' }), /--http-events needs --http/);
});
