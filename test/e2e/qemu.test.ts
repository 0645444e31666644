// Real QEMU 7.2 guests (ivshmem-doorbell) talking through famez server.
// Needs qemu-system-x86_64 and the test guest (built on first use by
// test/e2e/guest/build.sh); .ci/run installs what it takes. They fail, rather
// than skip, when QEMU is missing: FAMEZ_E2E=0 is the explicit way to leave
// them out on a machine without it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { openSync, readSync, closeSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect, createServer, type BackingSpec, type FamezServer } from '../../src/index.js';
import { skipE2e, startGuest, useGuests, type GuestStep } from './harness.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const skip = skipE2e;
const dir = useGuests('famez-e2e-');
let sockets = 0;

async function serve(memory: BackingSpec, vectors: number): Promise<FamezServer> {
  const server = createServer({ socketPath: join(dir, `sock${sockets++}`), memory, vectors });
  await server.listen();
  return server;
}

const u32 = (view: Uint8Array, offset: number): number =>
  new DataView(view.buffer, view.byteOffset).getUint32(offset, true);

test("two guests and a host client ring each other in every direction and see each other's writes", {
  skip,
  timeout: 180_000,
}, async () => {
  const server = await serve({ kind: 'memfd', size: 1 << 20 }, 2);
  const host = await connect({ path: server.socketPath });
  const memory = host.memory.map(0, 4096);
  new DataView(memory.buffer).setUint32(24, 0x05ca1ab1, true);
  const rang: number[] = [];
  host.on('doorbell', ({ vector }) => rang.push(vector));
  try {
    // A at offset 0, B at 4; flags at 16 and 20 order the phases, so no two
    // doorbells to one guest are pending at once (guests do not count them).
    const a: GuestStep[] = [
      { op: 'pub', off: 0 },
      { op: 'wait' },
      { op: 'write', off: 16, val: 1 },
      { op: 'waitmem', off: 20, val: 1 },
      { op: 'ring', peer: '@4' },
      { op: 'wait' },
      { op: 'ring', peer: host.id, vector: 0 },
      { op: 'write', off: 8, val: 0xa0a0a0a0 },
      { op: 'waitmem', off: 12, val: 0xb0b0b0b0 },
      { op: 'read', off: 24 },
    ];
    const b: GuestStep[] = [
      { op: 'pub', off: 4 },
      { op: 'wait' },
      { op: 'write', off: 20, val: 1 },
      { op: 'waitmem', off: 16, val: 1 },
      { op: 'wait' },
      { op: 'ring', peer: '@0' },
      { op: 'ring', peer: host.id, vector: 1 },
      { op: 'write', off: 12, val: 0xb0b0b0b0 },
      { op: 'waitmem', off: 8, val: 0xa0a0a0a0 },
      { op: 'read', off: 24 },
    ];
    const guestA = startGuest({ socket: server.socketPath, vectors: 2, steps: a, name: 'A' });
    const guestB = startGuest({ socket: server.socketPath, vectors: 2, steps: b, name: 'B' });
    try {
      const [pubA, pubB] = await Promise.all([guestA.waitFor('pub', 90_000), guestB.waitFor('pub', 90_000)]);
      assert.equal(u32(memory, 0), pubA.val, "the host sees A's write");
      assert.equal(u32(memory, 4), pubB.val);
      host.ring(pubA.id!, 0);
      host.ring(pubB.id!, 0);
      const [endA, endB] = await Promise.all([guestA.finished(90_000), guestB.finished(90_000)]);
      for (const end of [endA, endB]) {
        const waits = end.events.filter((e) => e.event === 'wait');
        assert.deepEqual(
          waits.map((w) => w.event === 'wait' && w.ok),
          [true, true],
        );
        const read = end.events.find((e) => e.event === 'read');
        assert.equal(read?.event === 'read' && read.val, 0x05ca1ab1, "the guest sees the host's write");
        const waitmem = end.events.find((e) => e.event === 'waitmem' && e.off >= 8);
        assert.ok(waitmem?.event === 'waitmem' && waitmem.ok, "each guest sees the other's write");
      }
      assert.deepEqual(rang.sort(), [0, 1], 'A rang the host on vector 0, B on vector 1');
      assert.equal(u32(memory, 8), 0xa0a0a0a0);
      assert.equal(u32(memory, 12), 0xb0b0b0b0);
    } finally {
      await Promise.all([guestA.kill(), guestB.kill()]);
    }
  } finally {
    host.close();
    await server.close();
  }
});

test('a guest with vectors=4 receives a doorbell on vector 3', { skip, timeout: 120_000 }, async () => {
  const server = await serve({ kind: 'memfd', size: 1 << 20 }, 4);
  const host = await connect({ path: server.socketPath });
  try {
    const guest = startGuest({ socket: server.socketPath, vectors: 4, steps: [{ op: 'pub', off: 0 }, { op: 'wait' }] });
    try {
      const pub = await guest.waitFor('pub', 90_000);
      host.ring(pub.id!, 3);
      const wait = await guest.waitFor('wait', 60_000);
      assert.deepEqual(wait.pending, [3]);
      await guest.finished(30_000);
    } finally {
      await guest.kill();
    }
  } finally {
    host.close();
    await server.close();
  }
});

test('-f -l 5G: a sparse 8 GiB file that a guest maps; its writes survive a server restart', {
  skip,
  timeout: 180_000,
}, async () => {
  const file = join(dir, 'big.img');
  const HIGH = 6 * 2 ** 30; // beyond 4 GiB: reached through a window
  let server = await serve({ kind: 'file', path: file, size: 5 * 2 ** 30 }, 1);
  try {
    assert.equal(statSync(file).size, 8 * 2 ** 30);
    assert.ok(statSync(file).blocks * 512 < 2 ** 20, 'the file is sparse');
    const writer = startGuest({
      socket: server.socketPath,
      steps: [
        { op: 'write', off: 64, val: 0x12345678 },
        { op: 'write', off: HIGH, val: 0x9abcdef0 },
      ],
    });
    const end = await writer.finished(120_000);
    const ready = end.events.find((e) => e.event === 'ready');
    assert.equal(ready?.event === 'ready' && ready.size, 8 * 2 ** 30, 'the guest maps all 8 GiB');
  } finally {
    await server.close();
  }
  const bytes = Buffer.alloc(4);
  const fd = openSync(file, 'r');
  readSync(fd, bytes, 0, 4, HIGH);
  closeSync(fd);
  assert.equal(bytes.readUInt32LE(0), 0x9abcdef0, 'the write is in the file');

  server = await serve({ kind: 'file', path: file }, 1);
  try {
    const reader = startGuest({
      socket: server.socketPath,
      steps: [
        { op: 'read', off: 64 },
        { op: 'read', off: HIGH },
      ],
    });
    const end = await reader.finished(120_000);
    assert.deepEqual(
      end.events.filter((e) => e.event === 'read').map((e) => e.event === 'read' && e.val),
      [0x12345678, 0x9abcdef0],
    );
  } finally {
    await server.close();
  }
});

test('famez client rings a guest, is rung by it, and reads what it wrote', { skip, timeout: 120_000 }, async () => {
  const server = await serve({ kind: 'memfd', size: 1 << 20 }, 1);
  try {
    // Rotating ids: the client gets 0, the guest 1. The guest rings first, so
    // the client knows the guest's doorbells are live before it rings back.
    const cli = new Promise<{ code: number; stdout: string }>((resolve) => {
      execFile(
        process.execPath,
        [MAIN, 'client', '-S', server.socketPath, '-c', 'wait doorbell 0 90; int 1 0; wait doorbell 0 60; read 32 4'],
        (error, stdout) => resolve({ code: error ? Number((error as { code?: number }).code) : 0, stdout }),
      );
    });
    while (server.peers.size === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    const guest = startGuest({
      socket: server.socketPath,
      steps: [
        { op: 'ring', peer: 0 },
        { op: 'wait' },
        { op: 'write', off: 32, val: 0x0df0edfe },
        { op: 'ring', peer: 0 },
      ],
    });
    try {
      const { code, stdout } = await cli;
      assert.equal(code, 0, stdout);
      const lines = stdout.split('\n');
      assert.equal(lines.filter((line) => line === 'receive notification from peer_id=0 vector=0').length, 2, stdout);
      assert.ok(
        lines.some((line) => /^00000020  fe ed f0 0d\s+\|\.\.\.\.\|$/.test(line)),
        stdout,
      );
      const end = await guest.finished(30_000);
      assert.ok(
        end.events.some((e) => e.event === 'wait' && e.ok),
        'the guest was rung',
      );
    } finally {
      await guest.kill();
    }
  } finally {
    await server.close();
  }
});
