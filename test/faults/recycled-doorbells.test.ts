// Recycled ids: a peer that takes over an id does not inherit its
// predecessor's unread doorbells, nor the rings sent while the id was vacant.
// A raw peer joins, is rung, leaves without reading; the id is rung again
// while vacant; then a C peer (reading the wire as QEMU does) takes the id and
// must find none of its doorbells readable until it is rung. Plain and
// switched, on famez server and on the fabric.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect, type FamezClient } from '../../src/client/index.js';
import { createFabric } from '../../src/fabric/index.js';
import { createServer, type FamezServer } from '../../src/server/index.js';
import * as sys from '../../src/sys/index.js';
import { LineProcess } from '../helpers/line-process.js';
import { fdBaseline, tempDir, waitFor } from '../server/helpers.js';
import { pendingCount, rawJoin } from './peers.js';

const SOURCE = fileURLToPath(new URL('../../../test/faults/doorbell-peer.c', import.meta.url));
const TIMEOUT = { timeout: 60_000 };

function compilePeer(t: TestContext): string | undefined {
  const binary = join(tempDir(t, 'famez-doorbell-peer-'), 'doorbell-peer');
  try {
    execFileSync('gcc', ['-O2', '-Wall', '-o', binary, SOURCE], { stdio: 'pipe' });
  } catch (error) {
    t.skip(`needs gcc to build the C peer: ${(error as Error).message.split('\n')[0]}`);
    return undefined;
  }
  return binary;
}

async function leaveWithUnreadRings(server: FamezServer, a: FamezClient, vectors: number): Promise<number> {
  const leaver = await rawJoin(server.socketPath, vectors);
  await waitFor(() => a.peers.has(leaver.id), 'a to hear of the leaver');
  a.ring(leaver.id, vectors - 1);
  await waitFor(() => pendingCount(leaver.own[vectors - 1]!) === 1, 'the ring to reach the leaver');
  const left = new Promise((resolve) => server.once('peer-left', resolve));
  sys.close(leaver.socket);
  await left;
  a.ring(leaver.id, 0); // while the id is vacant
  await waitFor(() => pendingCount(leaver.own[0]!) === 1, 'the ring to the vacant id');
  leaver.own.forEach(sys.close);
  return leaver.id;
}

async function newcomerSeesNoStaleRing(
  t: TestContext,
  server: FamezServer,
  a: FamezClient,
  id: number,
  vectors: number,
): Promise<void> {
  const binary = compilePeer(t);
  if (!binary) return;
  const peer = new LineProcess(t, 'doorbell-peer', binary, [server.socketPath, String(vectors)]);
  assert.equal(await peer.line(/^ready /), `ready ${id} pending 0`);
  a.ring(id, 0);
  assert.equal(await peer.line(/^(rung|timeout)/), 'rung 0 1');
  await peer.exit();
}

for (const switched of [false, true]) {
  const mode = switched ? 'switched' : 'plain';

  test(
    `famez server (${mode}, recycling): a new holder of an id finds no ring meant for the last one`,
    TIMEOUT,
    async (t) => {
      const fds = fdBaseline();
      const vectors = 2;
      const server = createServer({
        socketPath: join(tempDir(t), 'sock'),
        memory: { kind: 'memfd', size: 1 << 16 },
        vectors,
        recycle: true,
        ids: 'lowest',
        switched,
      });
      await server.listen();
      const a = await connect({ path: server.socketPath });
      try {
        const id = await leaveWithUnreadRings(server, a, vectors);
        await newcomerSeesNoStaleRing(t, server, a, id, vectors);
      } finally {
        a.close();
        await server.close();
      }
      await fds.check();
    },
  );

  test(`famez fabric (${mode}): a new holder of an id finds no ring meant for the last one`, TIMEOUT, async (t) => {
    const fds = fdBaseline();
    const dir = tempDir(t);
    const fabric = createFabric({ socketPath: join(dir, 'sock'), mailbox: join(dir, 'mailbox'), switched });
    await fabric.listen();
    const a = await connect({ path: fabric.socketPath });
    try {
      const vectors = fabric.layout.nEvents;
      const id = await leaveWithUnreadRings(fabric.server, a, vectors);
      await newcomerSeesNoStaleRing(t, fabric.server, a, id, vectors);
    } finally {
      a.close();
      await fabric.close();
    }
    await fds.check();
  });
}
