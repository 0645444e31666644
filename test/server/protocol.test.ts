// The exact wire stream a server sends, seen by RAW peers that read 8 bytes
// per recvmsg as QEMU does (src/protocol/handshake.ts; QEMU's docs/specs/ivshmem-spec.rst).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { createServer } from '../../src/server/index.js';
import type { Protocol } from '../../src/protocol/message.js';
import * as sys from '../../src/sys/index.js';
import { fdBaseline, RawPeer, show, tempDir, type RawMessage } from './helpers.js';

const MEMORY_SIZE = 1 << 20;

const times = (text: string, n: number): string[] => Array.from({ length: n }, () => text);

/** What a newcomer with `id` gets when `present` (ascending, without it) are there. */
function expectedJoin(protocol: Protocol, id: number, present: number[], vectors: number): string[] {
  const setup = protocol === 'qemu' ? ['0', `${id}`, '-1+fd'] : [`${id}`, '-1+fd'];
  const order = protocol === 'qemu' ? [...present, id] : [...present, id].sort((a, b) => a - b);
  return [...setup, ...order.flatMap((peer) => times(`${peer}+fd`, vectors))];
}

/** The doorbell table a peer built from its stream: peer id -> eventfds by vector. */
function doorbells(protocol: Protocol, messages: readonly RawMessage[]): Map<number, sys.Fd[]> {
  const table = new Map<number, sys.Fd[]>();
  for (const message of messages.slice(protocol === 'qemu' ? 3 : 2)) {
    const id = Number(message.value);
    if (message.fd === undefined) table.delete(id);
    else table.set(id, [...(table.get(id) ?? []), message.fd]);
  }
  return table;
}

for (const protocol of ['qemu', 'legacy'] as const) {
  for (const vectors of [1, 3]) {
    test(`${protocol}, ${vectors} vector(s): exact messages to newcomers and existing peers`, async (t) => {
      const fds = fdBaseline();
      const dir = tempDir(t);
      const server = createServer({
        socketPath: join(dir, 'sock'),
        memory: { kind: 'memfd', size: MEMORY_SIZE },
        vectors,
        protocol,
        ids: 'lowest',
      });
      const peers: RawPeer[] = [];
      t.after(async () => {
        peers.forEach((peer) => peer.close());
        await server.close();
      });
      await server.listen();
      const join_ = (): RawPeer => {
        const peer = RawPeer.connect(server.socketPath);
        peers.push(peer);
        return peer;
      };

      const a = join_();
      assert.deepEqual(
        show(await a.take(expectedJoin(protocol, 0, [], vectors).length)),
        expectedJoin(protocol, 0, [], vectors),
      );

      const b = join_();
      assert.deepEqual(
        show(await b.take(expectedJoin(protocol, 1, [0], vectors).length)),
        expectedJoin(protocol, 1, [0], vectors),
      );
      assert.deepEqual(show(await a.take(vectors)), times('1+fd', vectors));

      const c = join_();
      assert.deepEqual(
        show(await c.take(expectedJoin(protocol, 2, [0, 1], vectors).length)),
        expectedJoin(protocol, 2, [0, 1], vectors),
      );
      assert.deepEqual(show(await a.take(vectors)), times('2+fd', vectors));
      assert.deepEqual(show(await b.take(vectors)), times('2+fd', vectors));

      // B leaves: an id without an fd to the others.
      b.close();
      assert.deepEqual(show(await a.take(1)), ['1']);
      assert.deepEqual(show(await c.take(1)), ['1']);

      // D gets the lowest free id, 1: in qemu its own eventfds come last,
      // in legacy everyone is in ascending id order.
      const d = join_();
      const dExpected = expectedJoin(protocol, 1, [0, 2], vectors);
      assert.deepEqual(show(await d.take(dExpected.length)), dExpected);
      if (protocol === 'qemu') assert.deepEqual(dExpected.slice(-vectors), times('1+fd', vectors));
      else assert.deepEqual(dExpected.slice(2 + vectors, 2 + 2 * vectors), times('1+fd', vectors));
      assert.deepEqual(show(await a.take(vectors)), times('1+fd', vectors));
      assert.deepEqual(show(await c.take(vectors)), times('1+fd', vectors));
      for (const peer of [a, c, d]) await peer.expectNothing();

      // Every fd is what it claims to be: the memory, or eventfds.
      const live = [a, c, d];
      for (const peer of live) {
        const memory = peer.received.find((m) => m.value === -1)!;
        assert.match(readlinkSync(`/proc/self/fd/${memory.fd}`), /^\/memfd:/);
        assert.equal(sys.stat(memory.fd!).size, MEMORY_SIZE);
        for (const m of peer.received) {
          if (m.fd !== undefined && m !== memory)
            assert.equal(readlinkSync(`/proc/self/fd/${m.fd}`), 'anon_inode:[eventfd]');
        }
      }

      // A received eventfd for peer X, rung, is seen on X's own copy of that vector, and only there.
      const ids = new Map<RawPeer, number>([
        [a, 0],
        [c, 2],
        [d, 1],
      ]);
      const tables = new Map(live.map((peer) => [peer, doorbells(protocol, peer.received)]));
      for (const peer of live) {
        assert.deepEqual([...tables.get(peer)!.keys()].sort(), [0, 1, 2], 'doorbell table after B left and D joined');
      }
      const own = (peer: RawPeer): sys.Fd[] => tables.get(peer)!.get(ids.get(peer)!)!;
      for (const sender of live) {
        for (const target of live) {
          if (sender === target) continue;
          const theirs = tables.get(sender)!.get(ids.get(target)!)!;
          assert.equal(theirs.length, vectors);
          for (let v = 0; v < vectors; v++) {
            assert.equal(sys.ringEventfd(theirs[v]!, 1), true);
            const seen = own(target).map((fd) => sys.drainEventfd(fd));
            assert.deepEqual(
              seen,
              Array.from({ length: vectors }, (_, u) => (u === v ? 1 : 0)),
              `peer ${ids.get(sender)} rang vector ${v} of peer ${ids.get(target)}`,
            );
            for (const other of live)
              if (other !== target) assert.ok(own(other).every((fd) => sys.drainEventfd(fd) === 0));
          }
        }
      }

      // Every peer's memory fd is the same memory.
      const views = live.map(
        (peer) => new Uint8Array(sys.map(peer.received.find((m) => m.value === -1)!.fd!, 0, 4096)),
      );
      try {
        views[0]![100] = 0x5a;
        views[1]![101] = 0xa5;
        assert.equal(views[2]![100], 0x5a);
        assert.equal(views[2]![101], 0xa5);
      } finally {
        views.forEach((view) => sys.unmap(view.buffer as ArrayBuffer));
      }

      peers.forEach((peer) => peer.close());
      await server.close();
      await fds.check();
    });
  }
}
