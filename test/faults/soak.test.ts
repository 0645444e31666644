// Random faulty peers against one server: the good peers keep ringing each
// other and the server's fds come back to where they started. The default run
// does a few hundred rounds; FAMEZ_SOAK_ROUNDS=10000 (npm run soak) the full soak.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from '../../src/server/index.js';
import * as sys from '../../src/sys/index.js';
import { openFdCount, waitFor, warmUpChildProcesses } from '../helpers/fds.js';
import { assertRingEachOther, pair, pendingCount, rawJoin, readMessages } from './peers.js';
import { spawnSync } from 'node:child_process';
import { start } from '../fabric/harness.js';
import { exchange, retried } from '../fabric/retry.js';

const SYS = fileURLToPath(new URL('../../src/sys/index.js', import.meta.url));

type Fault = 'garbage' | 'garbage-with-fd' | 'close-at-once' | 'close-mid-handshake' | 'never-read';
const FAULTS: Fault[] = ['garbage', 'garbage-with-fd', 'close-at-once', 'close-mid-handshake', 'never-read'];

function misbehave(path: string, fault: Fault): sys.Fd | undefined {
  const fd = sys.connect(path);
  switch (fault) {
    case 'garbage':
      sys.send(fd, new Uint8Array([1, 2, 3]));
      return fd;
    case 'garbage-with-fd': {
      const extra = sys.createEventfd();
      sys.send(fd, new Uint8Array(8), extra);
      sys.close(extra);
      return fd;
    }
    case 'close-at-once':
      sys.close(fd);
      return undefined;
    case 'close-mid-handshake':
      return fd; // read a little once the server has answered, then close
    case 'never-read':
      return fd;
  }
}

const SOAK_ROUNDS = Number(process.env.FAMEZ_SOAK_ROUNDS ?? 300);

test('random faulty peers do not disturb the others, and leave no fd behind', {
  timeout: 60_000 + SOAK_ROUNDS * 20,
}, async () => {
  const rounds = SOAK_ROUNDS;
  const dir = mkdtempSync(join(tmpdir(), 'famez-soak-'));
  const path = join(dir, 'sock');
  const baseline = openFdCount();
  const server = createServer({
    socketPath: path,
    memory: { kind: 'memfd', size: 1 << 16 },
    vectors: 2,
    maxQueue: 256,
  });
  const reasons = new Map<string, number>();
  const count = (reason: string): void => {
    reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
  };
  server.on('peer-left', (_, reason) => count(reason));
  server.on('peer-refused', (_, reason) => count(reason));
  await server.listen();
  const [a, b] = await pair(path);
  try {
    let seed = 7;
    const random = (n: number): number => (seed = (seed * 48271) % 2147483647) % n;
    const open: { fd: sys.Fd; fault: Fault; until: number }[] = [];
    for (let round = 0; round < rounds; round++) {
      const fault = FAULTS[random(FAULTS.length)]!;
      const fd = misbehave(path, fault);
      if (fd !== undefined) open.push({ fd, fault, until: round + 1 + random(20) });
      await new Promise((resolve) => setImmediate(resolve));
      for (const entry of open.filter((e) => e.until <= round)) {
        if (entry.fault === 'close-mid-handshake') readMessages(entry.fd, 1 + random(3));
        sys.close(entry.fd);
        open.splice(open.indexOf(entry), 1);
      }
      if (round % 50 === 49) await assertRingEachOther(a, b);
    }
    open.forEach((entry) => sys.close(entry.fd));
    await waitFor(
      () => server.peers.size === 2,
      () => `only the good peers to remain (have ${[...server.peers.keys()]})`,
    );
    await assertRingEachOther(a, b);
    const sent = (reasons.get('sent data (peers must not send)') ?? 0) + (reasons.get('sent data before joining') ?? 0);
    assert.ok(sent > 0, `peers that sent bytes were dropped for it: ${[...reasons]}`);
    const left = (reasons.get('disconnected') ?? 0) + (reasons.get('hung up before joining') ?? 0);
    assert.ok(left > 0, `peers that hung up were noticed: ${[...reasons]}`);
  } finally {
    a.close();
    b.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(openFdCount(), baseline, 'fds back to baseline');
});

test('a peer SIGKILLed in the middle of its handshake is announced gone; the others carry on', {
  timeout: 60_000,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'famez-kill-'));
  const path = join(dir, 'sock');
  await warmUpChildProcesses();
  const baseline = openFdCount();
  const server = createServer({ socketPath: path, memory: { kind: 'memfd', size: 1 << 16 }, vectors: 3 });
  await server.listen();
  const [a, b] = await pair(path);
  try {
    const script = `import * as sys from ${JSON.stringify(SYS)};
      const fd = sys.connect(${JSON.stringify(path)});
      setTimeout(() => { const got = sys.receive(fd, 8); console.log('read', got && got.bytes.length); }, 100);
      setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise((resolve) => child.stdout!.once('data', resolve));
    const joined = [...server.peers.keys()].find((id) => id !== a.id && id !== b.id)!;
    assert.notEqual(joined, undefined);
    const gone = new Promise((resolve) => a.once('peer-gone', resolve));
    const closed = new Promise((resolve) => child.once('close', resolve)); // its stdout pipe too
    child.kill('SIGKILL');
    assert.equal(await gone, joined);
    await closed;
    await assertRingEachOther(a, b);
  } finally {
    a.close();
    b.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(openFdCount(), baseline);
});

// ---- truncation rounds: the mailbox cut under a fabric, again and again ----

test('the mailbox cut at random sizes, by a peer and from outside: the fabric repairs every cut, pings go on, fds at baseline', {
  timeout: 600_000,
}, async (t) => {
  const rounds = Math.max(10, Math.ceil(SOAK_ROUNDS / 10));
  const h = await start(t);
  const good = await h.peer({ nodename: 'good', cclass: 'Debugger' });
  const cutter = await h.client();
  const size = h.fabric.layout.size;
  let restored = 0;
  h.fabric.on('restored', () => restored++);
  const repairs = (): number => restored;
  let seed = 11;
  const random = (n: number): number => (seed = (seed * 48271) % 2147483647) % n;
  for (let round = 0; round < rounds; round++) {
    const cut = [0, 4096, random(size), size - 1][random(4)]!;
    const before = repairs();
    if (random(2) === 0) sys.truncate(cutter.memory.fd, cut);
    else assert.equal(spawnSync('truncate', ['-s', String(cut), h.fabric.mailboxPath!], { timeout: 10_000 }).status, 0);
    await waitFor(() => repairs() > before, `round ${round}: the repair of a cut to ${cut} bytes`, 10_000);
    if (round % 5 === 4) await retried((ms) => exchange(good, good.serverId, 'ping', ms), `round ${round}: a ping`);
  }
  await retried((ms) => exchange(good, good.serverId, 'ping', ms), 'the last ping');
  assert.equal(repairs(), rounds, "one 'restored' per cut");
  assert.equal(sys.stat(cutter.memory.fd).size, size);
  assert.deepEqual(h.errors, []);
  await h.done();
});

// ------------------------------------------------------------------ stale rings and recycling
// Peers that take recycled ids, are rung, and leave without reading, and ids
// rung while vacant: every newcomer must find its doorbells quiet, the good
// peers keep ringing each other, and the fds come back to where they started.
// FAMEZ_SOAK_ROUNDS rounds in all (half plain, half switched).

for (const switched of [false, true]) {
  const rounds = Math.ceil(SOAK_ROUNDS / 2);
  test(`recycled ids under churn (${switched ? 'switched' : 'plain'}): no newcomer inherits a ring, no fd is left`, {
    timeout: 60_000 + rounds * 50,
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'famez-recycle-soak-'));
    const path = join(dir, 'sock');
    const baseline = openFdCount();
    const vectors = 2;
    const server = createServer({
      socketPath: path,
      memory: { kind: 'memfd', size: 1 << 16 },
      vectors,
      recycle: true,
      ids: 'lowest',
      switched,
    });
    const errors: Error[] = [];
    server.on('error', (error) => errors.push(error));
    await server.listen();
    const [a, b] = await pair(path);
    let seed = switched ? 11 : 13;
    const random = (n: number): number => (seed = (seed * 48271) % 2147483647) % n;
    const newcomersRung: number[] = [];
    let rings = 0;
    try {
      for (let round = 0; round < rounds; round++) {
        const present: Awaited<ReturnType<typeof rawJoin>>[] = [];
        for (let k = 1 + random(3); k > 0; k--) {
          const peer = await rawJoin(path, vectors);
          if (peer.own.some((fd) => pendingCount(fd) > 0)) newcomersRung.push(peer.id);
          present.push(peer);
        }
        await waitFor(() => present.every((peer) => a.peers.has(peer.id)), 'a to know every newcomer');
        for (const peer of present) {
          if (random(2) === 0) continue;
          const vector = random(vectors);
          a.ring(peer.id, vector);
          rings++;
          await waitFor(() => pendingCount(peer.own[vector]!) > 0, `the ring to reach peer ${peer.id}`);
        }
        for (const peer of present.sort(() => random(3) - 1)) {
          const left = new Promise((resolve) => server.once('peer-left', resolve));
          sys.close(peer.socket);
          await left;
          if (random(2) === 0) {
            const vector = random(vectors);
            const before = pendingCount(peer.own[vector]!);
            a.ring(peer.id, vector); // while the id is vacant
            rings++;
            await waitFor(() => pendingCount(peer.own[vector]!) > before, `the ring to vacant id ${peer.id}`);
          }
          peer.own.forEach(sys.close);
        }
        if (round % 50 === 49) await assertRingEachOther(a, b);
      }
      await assertRingEachOther(a, b);
      assert.deepEqual(newcomersRung, [], `newcomers that found a ring waiting (${rings} rings in ${rounds} rounds)`);
      assert.deepEqual(errors, []);
      assert.equal(server.peers.size, 2);
    } finally {
      a.close();
      b.close();
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
    await waitFor(
      () => openFdCount() === baseline,
      () => `fds back to baseline (${openFdCount()} open, ${baseline} before)`,
    );
  });
}
