// A peer that cuts the mailbox and grows it back in a loop, ringing the switch
// between cuts, against `famez fabric` as users run it: the fabric serves on
// (it used to die of an uncaught `remap EINVAL`), says so once per burst
// rather than once per cut, and answers pings afterwards. In the library, each
// cut is a 'shrunk' event followed by a 'restored' one.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as sys from '../../src/sys/index.js';
import { Famez } from '../cli/cli.js';
import { sleep, tempDir, waitFor } from '../server/helpers.js';
import { start } from './harness.js';
import { MailboxPeer } from './mailbox-peer.js';
import { exchange, retried } from './retry.js';

/**
 * Cuts the peer's memory to `cut(round)` bytes and grows it back, ringing the switch between, in chunks that let the
 * event loop run.
 */
export async function cutAndRegrow(peer: MailboxPeer, rounds: number, cut: (round: number) => number): Promise<void> {
  const { fd } = peer.client.memory;
  const size = peer.layout.size;
  for (let round = 0; round < rounds; round++) {
    sys.truncate(fd, cut(round));
    peer.client.ring(peer.serverId, peer.id);
    sys.truncate(fd, size);
    peer.client.ring(peer.serverId, peer.id);
    if (round % 50 === 49) await new Promise((resolve) => setImmediate(resolve));
  }
}

/** `famez fabric` as users start it, and mailbox peers of it named `names`, closed at the test's end. */
async function fabricWithPeers(t: TestContext, ...names: string[]): Promise<{ fabric: Famez; peers: MailboxPeer[] }> {
  const dir = tempDir(t);
  const socket = join(dir, 'sock');
  const fabric = new Famez(t, ['fabric', '-S', socket, '-M', join(dir, 'mailbox')]);
  await fabric.line(/listening on /);
  const peers: MailboxPeer[] = [];
  for (const nodename of names) {
    const peer = await MailboxPeer.connect(socket, { nodename, cclass: 'Debugger' });
    t.after(() => peer.close());
    peers.push(peer);
  }
  return { fabric, peers };
}

test('famez fabric under a peer that cuts the mailbox to 0 and to 1..4095 bytes, and grows it back, thousands of times: it serves on, with a few lines, not one a cut', {
  timeout: 120_000,
}, async (t) => {
  const {
    fabric,
    peers: [peer],
  } = await fabricWithPeers(t, 'cutter');
  await retried((ms) => exchange(peer, peer.serverId, 'ping', ms), 'a ping before the cuts');

  const rounds = 20_000;
  const cuts = async (cut: (round: number) => number): Promise<void> => {
    try {
      await cutAndRegrow(peer, rounds, cut);
    } catch (error) {
      // The memory's fd closes with the connection: did the fabric die?
      await Promise.race([fabric.exited, sleep(2000)]);
      assert.fail(`${(error as Error).message}; the fabric ${fabric.running ? 'runs' : 'exited'}: ${fabric.stderr}`);
    }
  };
  await cuts(() => 0);
  await cuts((round) => 1 + (round % 4095));
  await retried((ms) => exchange(peer, peer.serverId, 'ping', ms), 'a ping after the cuts');
  await waitFor(
    () => fabric.stdout.some((line) => /mailbox .* whole again/.test(line)),
    () => `the fabric to say the burst is over: ${fabric.stdout.slice(-5).join(' | ')}`,
    10_000,
  );
  const lines = fabric.stdout.filter((line) => line.includes('mailbox') && line.includes('cut'));
  assert.ok(lines.length >= 1, 'the cuts are reported');
  // One line when a burst starts and one when it ends: a few, for 40,000 cuts and regrowths.
  assert.ok(lines.length <= 20, `${lines.length} lines for ${rounds * 2} cuts: ${lines.slice(0, 5).join(' | ')}`);
  assert.deepEqual(fabric.stderr, []);
  fabric.child.kill('SIGTERM');
  assert.deepEqual(await fabric.exit(), { code: 0, signal: null });
});

test("the library: each cut of the mailbox is a 'shrunk' event and its repair a 'restored' one, in turn", {
  timeout: 60_000,
}, async (t) => {
  const h = await start(t);
  const events: string[] = [];
  h.fabric.on('shrunk', (size) => events.push(`shrunk ${size}`));
  h.fabric.on('restored', (size) => events.push(`restored ${size}`));
  const peer = await h.peer({ nodename: 'cutter', cclass: 'Debugger' });
  await cutAndRegrow(peer, 200, (round) => (round % 2 ? 0 : 100));
  await retried((ms) => exchange(peer, peer.serverId, 'ping', ms), 'a ping after the cuts');
  const size = h.fabric.layout.size;
  assert.ok(events.length >= 2, `events: ${events.slice(0, 4)}`);
  events.forEach((event, i) =>
    assert.match(event, i % 2 === 0 ? /^shrunk \d+$/ : new RegExp(`^restored ${size}$`), events.join(', ')),
  );
  assert.equal(events.length % 2, 0, `the last cut is restored: ${events.slice(-3)}`);
  assert.deepEqual(h.errors, []);
  await h.done();
});

const CUT_ROUNDS = Number(process.env.FAMEZ_CUT_ROUNDS ?? 100);

test(`${CUT_ROUNDS} rounds of cuts at random sizes, regrown by the peer or by famez fabric: a second peer's ping is answered every 10 rounds, and the fabric's fds come back`, {
  timeout: 120_000 + CUT_ROUNDS * 500,
}, async (t) => {
  const {
    fabric,
    peers: [cutter, pinger],
  } = await fabricWithPeers(t, 'cutter', 'pinger');
  const ping = (what: string): Promise<number> =>
    retried((ms) => exchange(pinger, pinger.serverId, 'ping', ms), `${what}: a ping`);
  await ping('before the cuts');
  const fds = (): number => readdirSync(`/proc/${fabric.pid}/fd`).length;
  const before = fds();
  const size = cutter.layout.size;
  let seed = 17;
  const random = (n: number): number => (seed = (seed * 48271) % 2147483647) % n;
  for (let round = 0; round < CUT_ROUNDS; round++) {
    sys.truncate(cutter.client.memory.fd, [0, random(4096), random(size), size - 1][random(4)]!);
    cutter.client.ring(cutter.serverId, cutter.id);
    if (random(2) === 0) sys.truncate(cutter.client.memory.fd, size);
    cutter.client.ring(cutter.serverId, cutter.id);
    if (round % 10 === 9) {
      assert.ok(fabric.running, `round ${round}: the fabric lives on: ${fabric.stderr}`);
      await ping(`round ${round}`);
    }
  }
  await ping('after the cuts');
  assert.equal(sys.stat(cutter.client.memory.fd).size, size);
  assert.equal(fds(), before, "the fabric's fds are back where they were");
  assert.deepEqual(fabric.stderr, []);
});
