// The fabric under attack, over real sockets, eventfds and shared memory: one
// peer writes garbage into the mailbox and floods the switch with doorbells
// while well-behaved peers keep pinging it; a peer that never hands the
// switch's slot back holds nobody else up for longer than the timeout.
// The fuzz is seeded (FAMEZ_HOSTILE_SEED overrides) so that a failure
// reproduces.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sleep, waitFor } from '../server/helpers.js';
import { start } from './harness.js';
import { mulberry32 } from '../../src/switching/prng.js';
import type { MailboxPeer } from './mailbox-peer.js';

const SEED = Number(process.env.FAMEZ_HOSTILE_SEED ?? 0x5eed1991);

/** Ping → pong round trips with the switch: at least `count`, and on until `more()` says enough. */
async function pings(peer: MailboxPeer, count: number, more: () => boolean, log: number[]): Promise<void> {
  for (let i = 0; i < count || more(); i++) {
    await peer.send(peer.serverId, 'ping');
    const pong = await peer.expect(peer.serverId, 'pong', `peer ${peer.id}: pong ${i + 1} (at least ${count})`);
    assert.equal(typeof pong.tracker, 'number');
    log.push(i);
  }
}

const view64 = (view: Uint8Array): DataView => new DataView(view.buffer, view.byteOffset, view.byteLength);

test('hostile slot contents and doorbell floods from one peer: warnings (rate-limited), no error, and two good peers keep getting their pongs', async (t) => {
  t.diagnostic(`seed ${SEED} (FAMEZ_HOSTILE_SEED=${SEED} reproduces)`);
  const random = mulberry32(SEED);
  const int = (n: number): number => Math.floor(random() * n);
  const h = await start(t);
  const a = await h.peer({ nodename: 'alpha', cclass: 'Debugger' });
  const b = await h.peer({ nodename: 'beta', cclass: 'Debugger' });
  const bad = await h.client();
  const serverId = h.fabric.layout.serverId;
  assert.deepEqual([a.id, b.id, bad.id, serverId], [1, 2, 3, 15]);
  await waitFor(() => bad.peers.has(serverId), 'the hostile peer to know the switch');
  // Its own view of the memory, as a guest has.
  const memory = bad.memory.map(0, 8192);
  const raw = view64(memory);
  const slot = (id: number): number => id * 512;
  const absent = [0, 4, 7, 9, 14, 15]; // vector 0, ids nobody has, and the switch's own id

  let hostileRings = 0;
  let rounds = 0;
  let stop = false;
  const hostile = (async () => {
    while (!stop) {
      rounds++;
      const own = slot(bad.id);
      switch (int(6)) {
        case 0: {
          // buflen past the buffer: just past it, 2^63, 2^64-1, anything.
          const huge = [
            385n,
            386n,
            512n,
            2n ** 63n,
            2n ** 64n - 1n,
            2n ** 32n,
            BigInt(int(2 ** 30)) << BigInt(int(34)),
          ][int(7)]!;
          for (let i = own + 128; i < own + 512; i++) memory[i] = int(256);
          raw.setBigUint64(own + 64, huge, true);
          break;
        }
        case 1: {
          // Bytes that are not UTF-8, with a length inside the buffer.
          const length = 1 + int(384);
          for (let i = 0; i < length; i++) memory[own + 128 + i] = int(256);
          memory[own + 128 + int(length)] = [0xff, 0xfe, 0xc0, 0x80][int(4)]!;
          raw.setBigUint64(own + 64, BigInt(length), true);
          break;
        }
        case 2: {
          // Names without a NUL in their 32 bytes, or not UTF-8; the rest of the header random too.
          for (let i = own; i < own + 64; i++) memory[i] = 1 + int(255);
          for (let i = own + 72; i < own + 128; i++) memory[i] = int(256);
          const length = 1 + int(383);
          for (let i = 0; i < length; i++) memory[own + 128 + i] = 0x80 + int(128);
          raw.setBigUint64(own + 64, BigInt(length), true);
          break;
        }
        case 3: {
          // Garbage in the OTHER peers' names (never their buflen: that is theirs to write).
          for (const victim of [a.id, b.id]) {
            for (let i = slot(victim); i < slot(victim) + 64; i++) memory[i] = 1 + int(255);
          }
          break;
        }
        case 4:
          // Rung with an empty slot.
          raw.setBigUint64(own + 64, 0n, true);
          break;
        case 5:
          break; // rings only
      }
      // Thousands of rings on its own vector, then vector 0 and vectors of ids without a peer.
      const burst = 50 + int(250);
      for (let i = 0; i < burst; i++) bad.ring(serverId, bad.id);
      hostileRings += burst;
      for (let i = 0; i < 20; i++) {
        bad.ring(serverId, absent[int(absent.length)]!);
        hostileRings++;
      }
      // Let the fabric and the good peers run (a guest would not share our event loop).
      if (rounds % 4 === 0) await sleep(1);
      else await new Promise((resolve) => setImmediate(resolve));
    }
  })();

  const started = performance.now();
  const doneA: number[] = [];
  const doneB: number[] = [];
  // The attack lasts at least 2.5 s (a few rate-limit intervals) and 300 rounds; the good peers ping all along.
  const more = (): boolean => performance.now() - started < 2500 || rounds < 300;
  try {
    await Promise.all([pings(a, 50, more, doneA), pings(b, 50, more, doneB)]);
  } finally {
    stop = true;
    await hostile;
  }
  const seconds = (performance.now() - started) / 1000;
  t.diagnostic(
    `${rounds} hostile rounds, ${hostileRings} hostile doorbells, ${h.warnings.length} warnings in ${seconds.toFixed(2)} s; ` +
      `the good peers did ${doneA.length} and ${doneB.length} round trips`,
  );

  assert.ok(
    doneA.length >= 50 && doneB.length >= 50,
    `every ping of the good peers got its pong: ${doneA.length} and ${doneB.length}`,
  );
  assert.deepEqual(h.errors, [], 'no error event');
  assert.ok(hostileRings >= 30_000, `${hostileRings} hostile doorbells`);
  // Warnings about each kind of hostility were given ...
  for (const [what, pattern] of [
    // (one kind: a bad message, whether its length or its bytes are wrong)
    [
      'a bad message',
      /peer 3: slot 3: (buflen \d+ is past the 384-byte buffer|the message is not UTF-8 text): ignored/,
    ],
    ['vector 0', /doorbell on vector 0 \(slot 0 holds the globals; no peer has id 0\): ignored/],
    ['an id without a peer', /doorbell on vector (4|7|9|14), but no peer has id \1: ignored/],
    ["the switch's own id", /doorbell on vector 15, which no client id can have: ignored/],
    ["a good peer's garbage nodename", /peer (1|2): slot \1: the nodename (has no NUL|is not UTF-8)/],
  ] as const) {
    assert.ok(
      h.warnings.some((w) => pattern.test(w)),
      `a warning for ${what}: ${h.warnings.slice(0, 30).join(' | ')}`,
    );
  }
  // ... but rate-limited: a handful per kind and second, not one per doorbell or message.
  assert.ok(
    h.warnings.length < 100,
    `${h.warnings.length} warnings for ${hostileRings} doorbells: ${h.warnings.slice(0, 40).join(' | ')}`,
  );
  assert.ok(h.warnings.length * 100 < hostileRings);
  assert.ok(
    h.warnings.some((w) => /\(\d+ more like it since the last\)/.test(w)),
    'what was left out is counted in the next line',
  );
  // Per kind: at most one line a second (and one to begin with).
  const perKind = new Map<string, number>();
  for (const w of h.warnings) {
    const kind = w
      .replace(/ \(\d+ more like it since the last\)$/, '')
      .replace(/\(\d+ rings?\)/, '')
      .replace(/buflen \d+ is past the 384-byte buffer|the message is not UTF-8 text/, 'bad');
    perKind.set(kind, (perKind.get(kind) ?? 0) + 1);
  }
  for (const [kind, count] of perKind)
    assert.ok(count <= Math.ceil(seconds) + 1, `${count} warnings in ${seconds.toFixed(2)} s: ${kind}`);

  // The switch still lists the good peers (and the hostile one), live, with what they sent.
  const ports = h.fabric.ports;
  assert.ok(ports.has(a.id) && ports.has(b.id), `ports: ${[...ports.keys()].join(', ')}`);
  assert.ok(ports.get(a.id)!.received >= doneA.length && ports.get(b.id)!.received >= doneB.length);
  assert.ok(ports.get(a.id)!.live && ports.get(b.id)!.live);
  await waitFor(
    () => ports.get(a.id)!.sent >= doneA.length && ports.get(b.id)!.sent >= doneB.length,
    'the switch to count its pongs taken',
  );
  // The globals and the switch's own slot are intact.
  assert.deepEqual(a.mailbox.globals(), { nClients: 14, nEvents: 16, serverId: 15, size: 8192 });
  assert.equal(a.mailbox.nodename(15), 'Z-switch');
  // And the good peers can still do what they did.
  await a.send(15, 'Link CTL Peer-Attribute');
  await a.expect(15, 'Link CTL ACK cclass=FabricSwitch,CID0=1500,SID0=27');

  bad.memory.unmap(memory);
  await h.done();
  assert.deepEqual(h.errors, [], 'no error event while closing');
});

test("a peer that asks for replies but never hands the switch's slot back: a good peer is answered after the timeout, and the bad one is muted", async (t) => {
  // The mute is measured on a clock the test moves: it ends when the test says, not after a sleep.
  let skipped = 0;
  const h = await start(t, { replyTimeoutMs: 100, now: () => performance.now() + skipped });
  const good = await h.peer({ nodename: 'good', cclass: 'Debugger' });
  const bad = await h.peer({ nodename: 'bad', cclass: 'Debugger' });
  await good.send(15, 'ping');
  await good.expect(15, 'pong');

  bad.takes = false;
  await bad.send(15, 'ping'); // the pong to it stays in the switch's slot
  await waitFor(() => !h.fabric.mailbox.isFree(15), "the switch's pong to the bad peer to sit in its slot");
  const asked = performance.now();
  await good.send(15, 'ping');
  const pong = await good.expect(15, 'pong', "the good peer's pong after the timeout");
  const waited = performance.now() - asked;
  assert.ok(waited >= 50, `the good peer's pong waited ${waited.toFixed(0)} ms behind the slot the bad peer kept`);
  assert.ok(waited < 1000, `answered ${waited.toFixed(0)} ms later: once the 100 ms timeout took the slot back`);
  assert.equal(typeof pong.tracker, 'number');
  assert.ok(
    h.warnings.some((w) =>
      /peer 2 did not take the switch's message within 100 ms: slot taken back, its requests unanswered for 1000 ms/.test(
        w,
      ),
    ),
    h.warnings.join(' | '),
  );
  assert.equal(h.fabric.ports.get(bad.id)!.live, false, 'the bad peer shows no live driver any more');
  await assert.rejects(h.fabric.send(bad.id, 'hello'), /no live driver/);
  assert.deepEqual(bad.received, [], 'the bad peer took nothing');

  // Muted: its next pings are read (its slot is handed back) but not answered, while the good peer is.
  bad.takes = true;
  for (let i = 0; i < 3; i++) {
    await bad.send(15, 'ping');
    await waitFor(() => bad.mailbox.isFree(bad.id), "the switch to read the muted peer's ping");
    await good.send(15, 'ping');
    await good.expect(15, 'pong', 'the good peer answered while the bad one is muted');
  }
  assert.deepEqual(bad.received, [], 'no answer to a muted peer');
  assert.ok(
    h.warnings.some((w) =>
      /peer 2 kept the switch's slot past the timeout: its requests go unanswered for 1000 ms/.test(w),
    ),
    h.warnings.join(' | '),
  );
  assert.deepEqual(h.errors, []);

  // Once the mute is over, it is answered again (and live again).
  skipped += 1000;
  await bad.send(15, 'ping');
  await bad.expect(15, 'pong', 'the bad peer answered after its mute');
  assert.equal(h.fabric.ports.get(bad.id)!.live, true);
  await h.done();
});

test('a flood of distinct requests the switch does not know, from one peer: one warning per second or so, not one per message', async (t) => {
  const random = mulberry32(SEED ^ 0xbad);
  const h = await start(t);
  const good = await h.peer({ nodename: 'good', cclass: 'Debugger' });
  const flooder = await h.peer();
  const messages = 400;
  let taken = 0;
  h.fabric.on('message', (m) => {
    if (m.from === flooder.id) taken++;
  });
  const started = performance.now();
  for (let i = 0; i < messages; i++) {
    // Valid UTF-8, no tracker, never a request the switch knows.
    const junk = Array.from({ length: 1 + Math.floor(random() * 40) }, () =>
      String.fromCharCode(0x21 + Math.floor(random() * 94)),
    ).join('');
    await flooder.send(15, `zz${i}${junk}`, true);
  }
  await waitFor(() => flooder.mailbox.isFree(flooder.id) && taken === messages, 'the switch to read every message');
  await good.send(15, 'ping');
  await good.expect(15, 'pong');
  const seconds = (performance.now() - started) / 1000;
  const about = h.warnings.filter((w) => /unknown request/.test(w));
  t.diagnostic(`${messages} messages in ${seconds.toFixed(2)} s: ${about.length} warnings`);
  assert.ok(about.length >= 1, 'the first is reported');
  assert.ok(
    about.length <= 2 * Math.ceil(seconds) + 2,
    `${about.length} warnings for ${messages} unknown requests from one peer in ${seconds.toFixed(2)} s (rate-limited per peer and kind?): ${about.slice(0, 5).join(' | ')}`,
  );
  assert.deepEqual(h.errors, []);
  await h.done();
});
