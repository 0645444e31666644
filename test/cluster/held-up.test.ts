// A host whose own process was held up past the time-out (SIGSTOP, a
// suspended machine, a starved CPU): the others rightly saw it go silent, but
// when it runs again it does not say they were silent. It says it was held up,
// and gives them a time-out to be heard (their news is already in its socket).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fabricProcess } from './processes.js';
import { tempDir } from '../server/helpers.js';
import { NatsServer, natsMissing } from './nats-server.js';

test('a host held up past the time-out says so when it runs again, and does not report the others as silent', {
  timeout: 120_000,
  skip: natsMissing,
}, async (t) => {
  const nats = await NatsServer.start(t);
  const dir = tempDir(t);
  const timeout = ['--cluster-timeout', '2000'];
  const a = fabricProcess(t, dir, 'held', 'a', nats.url, timeout);
  await a.line(/node a of cluster held/, 20_000);
  const b = fabricProcess(t, dir, 'held', 'b', nats.url, timeout);
  await b.line(/host a joined the fabric/, 20_000);
  await a.line(/host b joined the fabric/, 20_000);

  b.child.kill('SIGSTOP');
  const left = await a.lineIndex(/host b left the fabric: node b silent for 2000 ms/, 20_000);
  await new Promise((resolve) => setTimeout(resolve, 1000));
  b.child.kill('SIGCONT');
  await b.line(/warning: cluster: this host was held up for \d+ ms \(stopped, or starved of CPU\)/, 20_000);
  await a.line(/host b joined the fabric/, 20_000, left);
  await new Promise((resolve) => setTimeout(resolve, 2500)); // past another time-out: a was never silent
  assert.deepEqual(
    b.stdout.filter((line) => /host a left the fabric/.test(line)),
    [],
    'b does not say a was silent',
  );
});
