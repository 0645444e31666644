// Reads of a shared eventfd that a peer made blocking: the addon's drains (drainEventfd and the
// eventfd watchers the switch's doorbells come through) never wait, in both of its read modes:
// one preadv2(RWF_NOWAIT) where the kernel takes it, poll() then read() where it does not
// (forced with FAMEZ_EVENTFD_READ=poll). Each mode runs in a Node child, so that a read that
// blocked would show as the child's deadline passing, not as a hung test.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as sys from '../../src/sys/index.js';
import { explain, runNode, warmUpChildProcesses } from './common.js';

before(() => warmUpChildProcesses());

const ROUNDS = 200;

/** The child: makes an eventfd, has a peer process clear its O_NONBLOCK, then reads it every way the switch does. */
const CHILD = `
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const flags = (fd) => parseInt(/^flags:\\s+([0-7]+)$/m.exec(fs.readFileSync('/proc/self/fdinfo/' + fd, 'utf8'))[1], 8);
const O_NONBLOCK = 0o4000;
const fd = sys.createEventfd();
const before = flags(fd) & O_NONBLOCK;
// A second fd on the same description (as a second reader of one doorbell holds it), passed over a socket.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'famez-nowait-'));
const listener = sys.listen(path.join(dir, 's'));
const client = sys.connect(path.join(dir, 's'));
const server = sys.accept(listener);
sys.send(client, new Uint8Array(8), fd);
const copy = sys.receive(server, 8).fds[0];
[client, server, listener].forEach((s) => sys.close(s));
fs.rmSync(dir, { recursive: true });

// Two watchers of one counter: a ring makes both ready in the same turn of the loop; the
// second to run finds the counter drained by the first, and its read must return empty.
let counted = 0;
let calls = 0;
const watchers = [fd, copy].map((f) => sys.Watcher.eventfd(f, (count) => { counted += count; calls++; }));
// libuv makes a polled fd non-blocking when the watcher starts: the peer clears it after.
// The peer gets the eventfd as its fd 3, the same open file description, and clears O_NONBLOCK on it.
const peer = spawn('python3', ['-c', 'import fcntl, os; fcntl.fcntl(3, fcntl.F_SETFL, fcntl.fcntl(3, fcntl.F_GETFL) & ~os.O_NONBLOCK)'], {
  stdio: ['ignore', 'inherit', 'inherit', fd],
});
const code = await new Promise((resolve) => peer.on('close', resolve));
if (code !== 0) throw new Error('the peer exited ' + code);
const blocking = (flags(fd) & O_NONBLOCK) === 0;

// Empty and blocking: a drain returns 0 at once.
const emptyDrains = [sys.drainEventfd(fd), sys.drainEventfd(copy)];

let turns = 0;
let spinning = true;
const spin = () => { turns++; if (spinning) setImmediate(spin); };
spin();
for (let i = 1; i <= ${ROUNDS}; i++) {
  sys.ringEventfd(i % 2 ? fd : copy);
  await new Promise((resolve) => { const check = () => (counted >= i ? resolve() : setImmediate(check)); check(); });
}
spinning = false;
const after = sys.drainEventfd(copy);
watchers.forEach((w) => w.close());
const stillBlocking = (flags(fd) & O_NONBLOCK) === 0;
sys.close(fd);
sys.close(copy);
console.log(JSON.stringify({ mode: sys.eventfdReadMode(), before, blocking, emptyDrains, counted, calls, turns, after, stillBlocking }));
`;

interface ChildReport {
  mode: sys.EventfdReadMode;
  before: number;
  blocking: boolean;
  emptyDrains: number[];
  counted: number;
  calls: number;
  turns: number;
  after: number;
  stillBlocking: boolean;
}

describe('reads of an eventfd a peer made blocking', { timeout: 120_000 }, () => {
  test('the read mode is probed once: preadv2 where the kernel takes RWF_NOWAIT on an eventfd, or poll', (t) => {
    const mode = sys.eventfdReadMode();
    assert.ok(mode === 'preadv2' || mode === 'poll', mode);
    t.diagnostic(`this kernel: ${mode}`);
  });

  for (const forced of [undefined, 'poll'] as const) {
    test(`drains and watchers never block (${forced ? 'FAMEZ_EVENTFD_READ=poll' : 'the probed mode'})`, async () => {
      const env = { ...process.env };
      if (forced) env.FAMEZ_EVENTFD_READ = forced;
      else delete env.FAMEZ_EVENTFD_READ;
      const result = await runNode(CHILD, 30_000, [], env);
      assert.equal(result.timedOut, false, `a read blocked: ${explain(result)}`);
      assert.equal(result.code, 0, explain(result));
      const report = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as ChildReport;
      assert.equal(report.mode, forced ?? sys.eventfdReadMode());
      assert.notEqual(report.before, 0, 'made non-blocking');
      assert.equal(report.blocking, true, "the peer's fcntl cleared O_NONBLOCK on the shared description");
      assert.deepEqual(report.emptyDrains, [0, 0]);
      assert.equal(report.counted, ROUNDS, 'every ring counted once');
      assert.equal(report.calls, ROUNDS, 'one call per ring: the other watcher found it empty and said nothing');
      assert.ok(report.turns > ROUNDS, `the event loop kept turning (${report.turns} turns)`);
      assert.equal(report.after, 0);
      assert.equal(report.stillBlocking, true, 'famez changed no flag');
    });
  }
});
