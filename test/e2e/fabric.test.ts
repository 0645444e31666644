// Real QEMU 7.2 guests (ivshmem-doorbell, vectors=16) on a famez fabric: the
// guest reads FAME-Z's mailbox globals through BAR2, pings the switch by the
// mailbox protocol and takes its pong; and a guest stays up while another
// peer leaves and comes back with the same id (recycled doorbells), ringing
// it and being rung by it each time. Like qemu.test.ts, these fail rather
// than skip when QEMU is missing; FAMEZ_E2E=0 leaves them out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { connect, type FamezClient } from '../../src/client/index.js';
import { createFabric, type Fabric, type FabricMessage } from '../../src/fabric/index.js';
import { nextEvent, waitFor } from '../server/helpers.js';
import { skipE2e, startGuest, useGuests, type GuestEvent, type GuestStep, type WaitEvent } from './harness.js';
import { Famez } from '../cli/cli.js';

const skip = skipE2e;
const dir = useGuests('famez-e2e-fabric-');
let fabrics = 0;

const SLOT = 512;
const BUF = 128;
const BUFLEN = 64;
const SWITCH = 15;
/** "ping" and "pong" as the guest sees them: one little-endian 32-bit word. */
const PING = 0x676e6970;
const PONG = 0x676e6f70;

/** A word in slot 14's buf, unused by the tests' peers: a guest's last step waits for it to be 1. */
const HOLD = 14 * SLOT + BUF;

/** Lets a guest waiting for HOLD finish (written through the fabric's own mapping). */
function release(f: Fabric): void {
  new DataView(f.mailbox.view.buffer, f.mailbox.view.byteOffset).setUint32(HOLD, 1, true);
}

/** A managing fabric, as FAME-Z runs by default, with the lowest free id first. */
async function fabric(options: { replyTimeoutMs?: number } = {}): Promise<Fabric> {
  const n = fabrics++;
  const f = createFabric({
    socketPath: join(dir, `sock${n}`),
    mailbox: join(dir, `mailbox${n}`),
    nClients: 14,
    mode: 'managing',
    ids: 'lowest',
    recycle: true,
    ...options,
  });
  await f.listen();
  return f;
}

/** Resolves at the next doorbell `client` receives on `vector`. */
function doorbell(client: FamezClient, vector: number, timeoutMs = 30_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off('doorbell', listener);
      reject(new Error(`peer ${client.id}: no doorbell on vector ${vector} within ${timeoutMs} ms`));
    }, timeoutMs);
    const listener = ({ vector: v }: { vector: number }): void => {
      if (v !== vector) return;
      clearTimeout(timer);
      client.off('doorbell', listener);
      resolve();
    };
    client.on('doorbell', listener);
  });
}

test('a guest with vectors=16 on famez fabric reads the globals, pings the switch through the mailbox and takes its pong', {
  skip,
  timeout: 120_000,
}, async () => {
  // A shell step of the TCG guest can take a while on a loaded machine: give
  // it 10 s (FAME-Z's switch waits ~1 s) to hand the switch's slot back, so
  // that a slow guest cannot make the switch take its slot back in its stead.
  const f = await fabric({ replyTimeoutMs: 10_000 });
  const messages: FabricMessage[] = [];
  const sent: { to: number; text: string }[] = [];
  const warnings: string[] = [];
  f.on('message', (m) => messages.push(m));
  f.on('sent', (s) => sent.push(s));
  f.on('warning', (w) => warnings.push(w));
  const joined = nextEvent(f, 'port-joined', 90_000);
  try {
    const me = 1;
    const mine = me * SLOT;
    const theirs = SWITCH * SLOT;
    const steps: GuestStep[] = [
      ...[0, 8, 16, 24, 32].map((off): GuestStep => ({ op: 'read', off })),
      { op: 'write', off: mine + BUF, val: PING },
      { op: 'write', off: mine + BUFLEN, val: 4 },
      { op: 'write', off: mine + BUFLEN + 4, val: 0 },
      { op: 'ring', peer: SWITCH, vector: me },
      { op: 'wait' },
      { op: 'read', off: mine + BUFLEN },
      { op: 'read', off: theirs + BUFLEN },
      { op: 'read', off: theirs + BUF },
      { op: 'write', off: theirs + BUFLEN, val: 0 },
      { op: 'waitmem', off: HOLD, val: 1 }, // stays connected while the host looks
    ];
    const guest = startGuest({ socket: f.socketPath, vectors: 16, steps, name: 'pinger' });
    try {
      const ready = await guest.waitFor('ready', 90_000);
      assert.equal(ready.id, me, 'the lowest free id');
      assert.equal(ready.vectors, 16);
      assert.equal(ready.size, 8192, 'the mailbox: 16 slots of 512 bytes');
      const [port] = (await joined) as [{ id: number }];
      assert.equal(port.id, me);

      await guest.waitFor((e) => e.event === 'write' && e.off === theirs + BUFLEN, 60_000);
      // The guest is still connected (it waits for HOLD): what the fabric holds now is the guest's doing.
      // The switch notices the hand-back on its next look at its slot (every 16 ms at most while a message is out).
      await waitFor(() => sent.length > 0, 'the switch to see its slot handed back', 2000);
      assert.equal(f.mailbox.isFree(SWITCH), true, "the guest handed the switch's slot back");
      assert.equal(f.mailbox.isFree(me), true, "the switch handed the guest's slot back");
      const state = f.ports.get(me);
      assert.ok(state, 'the guest is a port of the fabric');
      assert.deepEqual(
        {
          received: state.received,
          sent: state.sent,
          live: state.live,
          cclass: state.cclass,
          linkState: state.linkState,
        },
        { received: 1, sent: 1, live: true, cclass: 'Driverless QEMU', linkState: 'up' },
      );
      assert.deepEqual(
        messages.map((m) => [m.from, m.nodename, m.text, m.body, m.tracker]),
        [[me, '', 'ping', 'ping', undefined]],
        'the switch read "ping" from the guest\'s slot',
      );
      assert.deepEqual(
        sent,
        [{ to: me, text: 'pong!EZT=1' }],
        "the guest took the pong (with the switch's first tracker)",
      );
      release(f);

      const end = await guest.finished(60_000);
      const reads = end.events.flatMap((e) => (e.event === 'read' ? [[e.off, e.val]] : []));
      assert.deepEqual(
        reads.slice(0, 5),
        [
          [0, 512],
          [8, 128],
          [16, 14],
          [24, 16],
          [32, 15],
        ],
        'globals: slotsize, buf_offset, nClients, nEvents, server_id',
      );

      const waits = end.events.filter((e) => e.event === 'wait');
      assert.equal(waits.length, 1);
      const wait = waits[0]!;
      assert.ok(wait.event === 'wait' && wait.ok, `the switch rang the guest: ${wait.line}`);
      assert.ok(wait.pending.includes(SWITCH), `pending ${wait.pending} has the switch's vector ${SWITCH}`);
      assert.deepEqual(wait.pending, [SWITCH], 'and nothing else rang');

      const pong = sent[0]!.text;
      assert.deepEqual(reads.slice(5), [
        [mine + BUFLEN, 0], // the switch handed the guest's slot back
        [theirs + BUFLEN, pong.length],
        [theirs + BUF, PONG],
      ]);
      assert.deepEqual(messages.length, 1, 'nothing more reached the switch');
      assert.deepEqual(warnings, []);
    } finally {
      await guest.kill();
    }
  } finally {
    await f.close();
  }
});

test('recycling: a guest stays up while peer 2 leaves and comes back 10 times; they ring each other every time', {
  skip,
  timeout: 150_000,
}, async () => {
  const ROUNDS = 10;
  const GUEST = 1;
  const HOST = 2;
  const FLAG = HOST * SLOT + BUF; // a word in peer 2's buf: the round the host is in
  const f = await fabric();
  const warnings: string[] = [];
  f.on('warning', (w) => warnings.push(w));
  try {
    const steps: GuestStep[] = [];
    for (let i = 1; i <= ROUNDS; i++) {
      steps.push({ op: 'waitmem', off: FLAG, val: i }, { op: 'ring', peer: HOST, vector: GUEST }, { op: 'wait' });
    }
    steps.push({ op: 'waitmem', off: HOLD, val: 1 }); // stays connected while the host looks
    const guest = startGuest({ socket: f.socketPath, vectors: 16, steps, name: 'stayer' });
    try {
      const ready = await guest.waitFor('ready', 90_000);
      assert.equal(ready.id, GUEST);
      assert.equal(ready.vectors, 16);
      // The guest's port is there before the host comes, so the host gets id 2.
      assert.ok(f.ports.has(GUEST), 'the guest is a port of the fabric');
      let last: GuestEvent = ready;

      for (let i = 1; i <= ROUNDS; i++) {
        const host = await connect({ path: f.socketPath, timeoutMs: 5000 });
        let closed = false;
        try {
          assert.equal(host.id, HOST, `round ${i}: the same id again`);
          assert.deepEqual(
            [...host.peers].sort((a, b) => a[0] - b[0]),
            [
              [GUEST, 16],
              [HOST, 16],
              [SWITCH, 16],
            ],
            `round ${i}: the guest and the switch with 16 vectors each`,
          );
          assert.ok(f.ports.has(HOST), `round ${i}: peer 2 is a port`);
          const rung = doorbell(host, GUEST);
          new DataView(host.memory.map(0, 8192).buffer).setUint32(FLAG, i, true);
          await rung;
          host.ring(GUEST, HOST);
          const wait: WaitEvent = await guest.waitFor('wait', 30_000, { after: last });
          last = wait;
          assert.ok(wait.ok && wait.pending.includes(HOST), `round ${i}: ${wait.line}`);
          const left = nextEvent(f, 'port-left', 10_000);
          host.close();
          closed = true;
          const [port] = (await left) as [{ id: number }];
          assert.equal(port.id, HOST);
          assert.ok(!f.ports.has(HOST));
        } finally {
          if (!closed) host.close();
        }
      }

      assert.deepEqual([...f.ports.keys()], [GUEST], 'the guest is still there, alone');
      assert.deepEqual(f.ports.get(GUEST)!.received, 0, 'the guest sent the switch nothing');
      release(f);

      const end = await guest.finished(60_000);
      const waits = end.events.filter((e) => e.event === 'wait');
      assert.equal(waits.length, ROUNDS);
      for (const [i, w] of waits.entries()) {
        assert.ok(w.event === 'wait' && w.ok, `round ${i + 1}: ${w.line}`);
        assert.deepEqual(w.event === 'wait' && w.pending, [HOST], `round ${i + 1}: only peer 2's vector was pending`);
      }
      const waitmems = end.events.filter((e) => e.event === 'waitmem' && e.off === FLAG);
      assert.deepEqual(
        waitmems.map((e) => e.event === 'waitmem' && e.ok),
        Array(ROUNDS).fill(true),
      );
      assert.deepEqual(
        end.events.filter((e) => e.event === 'ring').map((e) => e.event === 'ring' && [e.peer, e.vector]),
        Array(ROUNDS).fill([HOST, GUEST]),
      );
      assert.deepEqual(warnings, []);
    } finally {
      await guest.kill();
    }
  } finally {
    await f.close();
  }
});

test("famez chat and a guest: the guest's message is printed by the chat; the chat's reaches the guest, which hands the slot back", {
  skip,
  timeout: 120_000,
}, async (t) => {
  const f = await fabric();
  try {
    const guestId = 1;
    const chatId = 2;
    const HI = 0x21216968; // "hi!!"
    const steps: GuestStep[] = [
      { op: 'waitmem', off: HOLD, val: 1 }, // the chat is up
      { op: 'write', off: guestId * SLOT + BUF, val: HI },
      { op: 'write', off: guestId * SLOT + BUFLEN, val: 4 },
      { op: 'write', off: guestId * SLOT + BUFLEN + 4, val: 0 },
      { op: 'ring', peer: chatId, vector: guestId },
      { op: 'wait' }, // the chat's message
      { op: 'read', off: chatId * SLOT + BUFLEN },
      { op: 'read', off: chatId * SLOT + BUF },
      { op: 'write', off: chatId * SLOT + BUFLEN, val: 0 },
      { op: 'waitmem', off: HOLD, val: 2 },
    ];
    const guest = startGuest({ socket: f.socketPath, vectors: 16, steps, name: 'chatter' });
    try {
      assert.equal((await guest.waitFor('ready', 90_000)).id, guestId);
      const chat = new Famez(t, ['chat', '-S', f.socketPath, '--json']);
      const ready = JSON.parse(await chat.line(/"event":"ready"/)) as { id: number; nodename: string };
      assert.deepEqual([ready.id, ready.nodename], [chatId, 'z02']);
      release(f);
      const heard = JSON.parse(await chat.line(/"event":"message","from":1,/, 60_000)) as {
        from: number;
        body: string;
      };
      assert.deepEqual([heard.from, heard.body], [guestId, 'hi!!'], "the chat printed the guest's message");
      assert.equal(f.mailbox.isFree(guestId), true, "the chat handed the guest's slot back");

      chat.send('send 1 ABCD');
      const done = JSON.parse(await chat.line(/"command":"send 1 ABCD"/, 60_000)) as { ok: boolean };
      assert.equal(done.ok, true, 'the send resolved: the guest took the message');
      const wait = await guest.waitFor('wait', 10_000);
      assert.deepEqual(wait.pending, [chatId], "rung on the chat's vector");
      const reads = guest.events.flatMap((e) => (e.event === 'read' ? [e.val] : []));
      assert.deepEqual(
        reads,
        ['ABCD!EZT=1'.length, 0x44434241],
        'the guest read "ABCD" and its tracker from the chat\'s slot',
      );
      new DataView(f.mailbox.view.buffer, f.mailbox.view.byteOffset).setUint32(HOLD, 2, true);
      await guest.finished(60_000);
      chat.send('quit');
      assert.deepEqual(await chat.exit(), { code: 0, signal: null });
    } finally {
      await guest.kill();
    }
  } finally {
    await f.close();
  }
});
