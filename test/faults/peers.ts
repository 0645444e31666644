// Helpers for fault tests: two well-behaved peers that must stay undisturbed,
// and raw connections that misbehave on purpose.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, type FamezClient } from '../../src/client/index.js';
import * as sys from '../../src/sys/index.js';
import { withTimeout } from '../helpers/fds.js';

/** Asserts that a and b still ring each other on every vector. */
export async function assertRingEachOther(a: FamezClient, b: FamezClient): Promise<void> {
  for (const [from, to] of [[a, b], [b, a]] as const) {
    for (let vector = 0; vector < to.vectors; vector++) {
      const rung = once(to, 'doorbell');
      from.ring(to.id, vector);
      const [doorbell] = await withTimeout(rung, `peer ${to.id} to hear vector ${vector} from ${from.id}`, 2000);
      assert.equal((doorbell as { vector: number }).vector, vector);
    }
  }
}

export async function pair(path: string): Promise<[FamezClient, FamezClient]> {
  const a = await connect({ path });
  const b = await connect({ path });
  if (!a.peers.has(b.id)) await withTimeout(once(a, 'peer'), 'a to hear of b', 2000);
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
