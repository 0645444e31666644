// Helpers for fault tests: two well-behaved peers that must stay undisturbed,
// and raw connections that misbehave on purpose.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { connect, type FamezClient } from '../../src/client/index.js';
import * as sys from '../../src/sys/index.js';
import { waitFor, withTimeout } from '../helpers/fds.js';

/** Asserts that a and b still ring each other on every vector. */
export async function assertRingEachOther(a: FamezClient, b: FamezClient): Promise<void> {
  for (const [from, to] of [
    [a, b],
    [b, a],
  ] as const) {
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

/** The count in an eventfd this process holds, read without taking it (/proc/self/fdinfo). */
export function pendingCount(fd: sys.Fd): number {
  const match = /^eventfd-count:\s+([0-9a-f]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
  assert.ok(match, `fd ${fd} is no eventfd`);
  return parseInt(match[1]!, 16);
}

/** A raw peer: reads its handshake, keeps its own doorbells, never reads them. */
export async function rawJoin(path: string, vectors: number): Promise<{ socket: sys.Fd; id: number; own: sys.Fd[] }> {
  const socket = sys.connect(path);
  const values: bigint[] = [];
  const own: sys.Fd[] = [];
  await waitFor(() => {
    for (;;) {
      const got = sys.receive(socket, 8);
      if (got === null) break;
      assert.equal(got.bytes.length, 8, 'the server hung up');
      const value = Buffer.from(got.bytes).readBigInt64LE(0);
      values.push(value);
      const fd = got.fds[0];
      if (fd === undefined) continue;
      if (values.length > 3 && value === values[1]) own.push(fd);
      else sys.close(fd);
    }
    return own.length === vectors;
  }, "the raw peer's handshake");
  return { socket, id: Number(values[1]), own };
}
