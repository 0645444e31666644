// sys.ringEventfdSoon(): a ring made in an eventfd watcher's callback is done by the
// addon as the callback returns (before its promise jobs), any other ring at once.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as sys from '../../src/sys/index.js';
import { withNoFdLeak, withTimeout } from '../helpers/fds.js';
import { socketPair } from './common.js';

describe('ringEventfdSoon', { timeout: 60_000 }, () => {
  test(
    'outside a callback it rings at once',
    withNoFdLeak((scope) => {
      const fd = scope.own(sys.createEventfd());
      assert.equal(sys.ringEventfdSoon(fd), true);
      assert.equal(sys.ringEventfdSoon(fd, 3), true);
      assert.equal(sys.drainEventfd(fd), 4);
    }),
  );

  test(
    "in a doorbell's callback the first single ring is held until the callback returns, then rung before its promise jobs",
    withNoFdLeak(async (scope) => {
      const [bell, answer, other] = sys.createEventfds(3).map((fd) => scope.own(fd));
      const seen: Record<string, number> = {};
      let done!: () => void;
      const finished = new Promise<void>((resolve) => {
        done = resolve;
      });
      const watcher = sys.Watcher.eventfd(bell!, () => {
        assert.equal(sys.ringEventfdSoon(answer!), true);
        seen.inside = sys.drainEventfd(answer!);
        // A second ring goes at once, after the held one.
        sys.ringEventfdSoon(other!, 2);
        seen.held = sys.drainEventfd(answer!);
        seen.other = sys.drainEventfd(other!);
        sys.ringEventfdSoon(answer!);
        queueMicrotask(() => {
          seen.afterReturn = sys.drainEventfd(answer!);
          done();
        });
      });
      scope.defer(() => watcher.close());
      sys.ringEventfd(bell!);
      await withTimeout(finished, 'the callback', 5000);
      assert.deepEqual(seen, { inside: 0, held: 1, other: 2, afterReturn: 1 });
    }),
  );

  test(
    'closing an fd in the callback rings the held ring first (its number could be reused)',
    withNoFdLeak(async (scope) => {
      const bell = scope.own(sys.createEventfd());
      const answer = sys.createEventfd();
      // A second fd on the answer's eventfd, to see its counter once the first is closed.
      const pair = socketPair(scope);
      sys.send(pair.client, new Uint8Array(8), answer);
      const copy = scope.own(sys.receive(pair.server, 8)!.fds[0]!);
      let called!: () => void;
      const finished = new Promise<void>((resolve) => {
        called = resolve;
      });
      const watcher = sys.Watcher.eventfd(bell, () => {
        sys.ringEventfdSoon(answer);
        sys.close(answer);
        called();
      });
      scope.defer(() => watcher.close());
      sys.ringEventfd(bell);
      await withTimeout(finished, 'the callback', 5000);
      assert.equal(sys.drainEventfd(copy), 1);
    }),
  );
});
