// How nodes rename each other's fault changes and rebuild a link's faults: pure.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { changesFor, renamedChange } from '../../src/cluster/fault-sync.js';
import { FaultState } from '../../src/switching/faults.js';

test('a change on the link between two hosts is renamed after the other end; one between two other hosts is not ours', {
  timeout: 10_000,
}, () => {
  assert.deepEqual(renamedChange('two', 'one', { kind: 'link', link: 'host:two', up: false }), {
    kind: 'link',
    link: 'host:one',
    up: false,
  });
  assert.equal(renamedChange('three', 'one', { kind: 'link', link: 'host:two', up: false }), undefined);
  assert.deepEqual(renamedChange('two', 'one', { kind: 'latency', link: 'peer:7', us: 5 }), {
    kind: 'latency',
    link: 'peer:7',
    us: 5,
  });
  assert.deepEqual(renamedChange('two', 'one', { kind: 'clear' }), { kind: 'clear' });
  assert.deepEqual(renamedChange('two', 'one', { kind: 'clear', link: 'host:two' }), {
    kind: 'clear',
    link: 'host:one',
  });
});

test('the changes for a link rebuild its faults exactly, whatever it had', { timeout: 10_000 }, () => {
  const wanted = { down: true, addedUs: 300, dropProbability: 0.25, rate: { perSecond: 100, burst: 5 } };
  const state = new FaultState();
  state.apply({ kind: 'latency', link: 'host:a', us: 9 });
  state.apply({ kind: 'drop', link: 'host:a', probability: 0.5 });
  for (const change of changesFor('host:a', wanted)) state.apply(change);
  assert.deepEqual(state.get('host:a'), wanted);
  for (const change of changesFor('host:a', {})) state.apply(change);
  assert.equal(state.get('host:a'), undefined);
});
