// Helpers for fault tests: two well-behaved peers that must stay undisturbed,
// and raw connections that misbehave on purpose.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, type FamezClient } from '../../src/client/index.js';
import * as sys from '../../src/sys/index.js';

/** Asserts that a and b still ring each other on every vector. */
export async function assertRingEachOther(a: FamezClient, b: FamezClient): Promise<void> {
  for (const [from, to] of [[a, b], [b, a]] as const) {
    for (let vector = 0; vector < to.vectors; vector++) {
      const rung = once(to, 'doorbell');
      from.ring(to.id, vector);
      const [doorbell] = await withTimeout(rung, 2000, `peer ${to.id} did not hear vector ${vector} from ${from.id}`);
      assert.equal((doorbell as { vector: number }).vector, vector);
    }
  }
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`timeout: ${what}`)), ms); }),
  ]);
}

export async function pair(path: string): Promise<[FamezClient, FamezClient]> {
  const a = await connect({ path });
  const b = await connect({ path });
  if (!a.peers.has(b.id)) await withTimeout(once(a, 'peer'), 2000, 'a hears of b');
  return [a, b];
}

/** Reads up to `count` whole messages that are already waiting; closes their fds. */
export function readMessages(fd: sys.Fd, count: number): number {
  let read = 0;
  while (read < count) {
    const got = sys.receive(fd, 8);
    if (got === null || got.bytes.length === 0) break;
    got.fds.forEach(sys.close);
    read++;
  }
  return read;
}

/** Polls until `check` holds (or throws after `ms`). */
export async function eventually(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timeout: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
