// The IVSHMSG mailbox over plain memory: the geometry, format()'s bytes at
// their exact offsets, names, messages, and hostile slot contents (each a
// MailboxError naming the slot, the slot handed back afterwards).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BUF_OFFSET,
  BUF_SIZE,
  GLOBALS,
  MAX_CLIENTS,
  MAX_MESSAGE,
  MAX_NAME,
  NAME_SIZE,
  SLOT,
  SLOT_SIZE,
  Mailbox,
  MailboxError,
  geometry,
} from '../../src/mailbox/index.js';

const u64 = (view: Uint8Array, offset: number): bigint =>
  new DataView(view.buffer, view.byteOffset, view.byteLength).getBigUint64(offset, true);
const setU64 = (view: Uint8Array, offset: number, value: bigint): void =>
  new DataView(view.buffer, view.byteOffset, view.byteLength).setBigUint64(offset, value, true);

/** A formatted 14-client mailbox (8192 bytes) and its raw bytes. */
function fresh(nClients = 14): { view: Uint8Array; mailbox: Mailbox } {
  const view = new Uint8Array(geometry(nClients).size);
  const mailbox = new Mailbox(view);
  mailbox.format(nClients);
  return { view, mailbox };
}

/** An error of `type` whose message matches every pattern. */
function isError(type: new (...args: never[]) => Error, ...patterns: RegExp[]): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof type, `expected a ${type.name}, got ${String(error)}`);
    for (const pattern of patterns) assert.match(error.message, pattern);
    return true;
  };
}

test("the layout constants are FAME-Z's", () => {
  assert.equal(SLOT_SIZE, 512);
  assert.equal(BUF_OFFSET, 128);
  assert.equal(BUF_SIZE, 384);
  assert.equal(MAX_MESSAGE, 383);
  assert.equal(NAME_SIZE, 32);
  assert.equal(MAX_NAME, 31);
  assert.equal(MAX_CLIENTS, 62);
  assert.deepEqual({ ...GLOBALS }, { slotsize: 0, bufOffset: 8, nClients: 16, nEvents: 24, serverId: 32 });
  assert.deepEqual(
    { ...SLOT },
    { nodename: 0, cclass: 32, buflen: 64, peerId: 72, lastResponder: 80, peerSID: 88, peerCID: 96, buf: 128 },
  );
});

test('geometry(): nEvents = n + 2, serverId = n + 1, size = max(4096, next power of two of (n + 2) * 512)', () => {
  const cases: Array<[number, number]> = [
    [1, 4096],
    [2, 4096],
    [6, 4096],
    [14, 8192],
    [30, 16384],
    [62, 32768],
  ];
  for (const [n, size] of cases) {
    assert.deepEqual(geometry(n), { nClients: n, nEvents: n + 2, serverId: n + 1, size }, `${n} clients`);
    // The rule itself, independently of the table.
    const need = (n + 2) * 512;
    let pow = 1;
    while (pow < need) pow *= 2;
    assert.equal(size, Math.max(4096, pow));
  }
  // Boundaries of the rounding: 7 clients need 4608 bytes -> 8192; 15 need 8704 -> 16384.
  assert.equal(geometry(7).size, 8192);
  assert.equal(geometry(15).size, 16384);
  assert.equal(geometry(31).size, 32768);
});

test('geometry(): anything but an integer from 1 to 62 is a RangeError', () => {
  for (const n of [0, 63, 1.5, -1, NaN, Infinity, 1000]) {
    assert.throws(() => geometry(n), isError(RangeError, /from 1 to 62/), String(n));
  }
});

test("format(): the globals and every slot's peer_id at their exact byte offsets, everything else zero", () => {
  const view = new Uint8Array(8192).fill(0xa5); // garbage to be wiped
  const layout = new Mailbox(view).format(14);
  assert.deepEqual(layout, { nClients: 14, nEvents: 16, serverId: 15, size: 8192 });
  // slot 0: slotsize 512 @0, buf_offset 128 @8, nClients 14 @16, nEvents 16 @24, server_id 15 @32.
  assert.deepEqual(
    [...view.subarray(0, 40)],
    [
      0x00, 0x02, 0, 0, 0, 0, 0, 0, 0x80, 0x00, 0, 0, 0, 0, 0, 0, 14, 0, 0, 0, 0, 0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0, 15,
      0, 0, 0, 0, 0, 0, 0,
    ],
  );
  assert.equal(u64(view, 0), 512n);
  assert.equal(u64(view, 8), 128n);
  assert.equal(u64(view, 16), 14n);
  assert.equal(u64(view, 24), 16n);
  assert.equal(u64(view, 32), 15n);
  for (let id = 1; id <= 15; id++) {
    assert.equal(u64(view, id * 512 + 72), BigInt(id), `slot ${id} peer_id`);
    assert.equal(view[id * 512 + 72], id);
  }
  // Nothing else is set: every byte but the globals and the peer_ids is zero.
  const expected = new Uint8Array(8192);
  expected.set(view.subarray(0, 40), 0);
  for (let id = 1; id <= 15; id++) expected[id * 512 + 72] = id;
  assert.deepEqual(view, expected);
});

test('format(): the smallest and the largest fabric; a memory too small is a MailboxError', () => {
  const one = new Uint8Array(4096).fill(0xff);
  assert.deepEqual(new Mailbox(one).format(1), { nClients: 1, nEvents: 3, serverId: 2, size: 4096 });
  assert.equal(u64(one, 16), 1n);
  assert.equal(u64(one, 24), 3n);
  assert.equal(u64(one, 32), 2n);
  assert.equal(u64(one, 512 + 72), 1n);
  assert.equal(u64(one, 1024 + 72), 2n);
  for (let slot = 3; slot < 8; slot++) assert.equal(u64(one, slot * 512 + 72), 0n, `slot ${slot} belongs to nobody`);

  const big = new Uint8Array(32768);
  const mailbox = new Mailbox(big);
  assert.equal(mailbox.format(62).serverId, 63);
  assert.equal(u64(big, 63 * 512 + 72), 63n);
  assert.deepEqual(mailbox.globals(), geometry(62));

  assert.throws(() => new Mailbox(new Uint8Array(4096)).format(14), isError(MailboxError, /4096 bytes/, /8192/));
  assert.throws(() => new Mailbox(new Uint8Array(8192)).format(0), RangeError);
  assert.throws(() => new Mailbox(new Uint8Array(65536)).format(63), RangeError);
});

test("a Mailbox over a view that does not start at its buffer's beginning uses the view's offsets", () => {
  const backing = new Uint8Array(100 + 8192 + 100).fill(0x11);
  const view = backing.subarray(100, 100 + 8192);
  const mailbox = new Mailbox(view);
  mailbox.format(14);
  assert.equal(u64(backing, 100 + 0), 512n);
  assert.equal(u64(backing, 100 + 32), 15n);
  assert.equal(u64(backing, 100 + 3 * 512 + 72), 3n);
  assert.deepEqual([...backing.subarray(0, 100)], new Array(100).fill(0x11), 'nothing before the view touched');
  assert.deepEqual([...backing.subarray(100 + 8192)], new Array(100).fill(0x11), 'nothing after the view touched');
  mailbox.put(3, 'hi');
  assert.equal(u64(backing, 100 + 3 * 512 + 64), 2n);
  assert.equal(mailbox.take(3), 'hi');
  assert.deepEqual(mailbox.globals(), geometry(14));
});

test('globals(): read back after format(), also from a view of slot 0 alone', () => {
  const { view } = fresh(14);
  assert.deepEqual(new Mailbox(view).globals(), { nClients: 14, nEvents: 16, serverId: 15, size: 8192 });
  assert.deepEqual(new Mailbox(view.subarray(0, 4096)).globals(), geometry(14));
  assert.deepEqual(new Mailbox(view.subarray(0, 512)).globals(), geometry(14));
});

test('globals(): zeroed memory or wrong values are no IVSHMSG fabric (MailboxError)', () => {
  assert.throws(
    () => new Mailbox(new Uint8Array(8192)).globals(),
    isError(MailboxError, /not an IVSHMSG fabric/, /slotsize 0/),
  );
  const wrong: Array<[string, number, bigint]> = [
    ['slotsize 1024', GLOBALS.slotsize, 1024n],
    ['buf_offset 64', GLOBALS.bufOffset, 64n],
    ['nClients 0', GLOBALS.nClients, 0n],
    ['nClients 63', GLOBALS.nClients, 63n],
    ['nClients 2^64-1', GLOBALS.nClients, 2n ** 64n - 1n],
    ['nClients 2^53+1', GLOBALS.nClients, 2n ** 53n + 1n],
  ];
  for (const [what, offset, value] of wrong) {
    const { view } = fresh(14);
    setU64(view, offset, value);
    assert.throws(
      () => new Mailbox(view).globals(),
      isError(MailboxError, /not an IVSHMSG fabric/, new RegExp(String(value))),
      what,
    );
  }
  // An ivshmem memory full of other data.
  const random = new Uint8Array(8192).map((_, i) => (i * 37 + 11) & 0xff);
  assert.throws(() => new Mailbox(random).globals(), isError(MailboxError, /not an IVSHMSG fabric/));
  // Plausible nClients whose nEvents / server_id disagree.
  for (const [what, offset, value] of [
    ['nEvents 17', GLOBALS.nEvents, 17n],
    ['server_id 14', GLOBALS.serverId, 14n],
    ['server_id 2^64-1', GLOBALS.serverId, 2n ** 64n - 1n],
  ] as const) {
    const { view } = fresh(14);
    setU64(view, offset, value);
    assert.throws(() => new Mailbox(view).globals(), isError(MailboxError, /globals disagree/, /nClients 14/), what);
  }
});

test('names: round trip, the 31-byte limit (in bytes, not characters), cleared names, the rest of the field zeroed', () => {
  const { view, mailbox } = fresh();
  assert.equal(mailbox.nodename(3), '');
  assert.equal(mailbox.cclass(3), '');
  mailbox.setNames(3, { nodename: 'z03', cclass: 'Debugger' });
  assert.equal(mailbox.nodename(3), 'z03');
  assert.equal(mailbox.cclass(3), 'Debugger');
  assert.deepEqual([...view.subarray(3 * 512, 3 * 512 + 4)], [0x7a, 0x30, 0x33, 0]);
  assert.deepEqual([...view.subarray(3 * 512 + 32, 3 * 512 + 41)], [...Buffer.from('Debugger'), 0]);
  // One name at a time; the other stays.
  mailbox.setNames(3, { cclass: 'Driverless QEMU' });
  assert.equal(mailbox.nodename(3), 'z03');
  assert.equal(mailbox.cclass(3), 'Driverless QEMU');
  mailbox.setNames(3, {});
  assert.equal(mailbox.nodename(3), 'z03');

  const longest = 'n'.repeat(31);
  mailbox.setNames(4, { nodename: longest, cclass: 'c'.repeat(31) });
  assert.equal(mailbox.nodename(4), longest);
  assert.equal(mailbox.cclass(4), 'c'.repeat(31));
  assert.equal(view[4 * 512 + 31], 0, 'the NUL in the last byte');
  assert.throws(
    () => mailbox.setNames(4, { nodename: 'n'.repeat(32) }),
    isError(MailboxError, /at most 31 bytes, not 32/),
  );
  assert.throws(() => mailbox.setNames(4, { cclass: 'c'.repeat(100) }), isError(MailboxError, /cclass/, /not 100/));
  // Multi-byte: 15 × é = 30 bytes fits, 16 × é = 32 bytes does not, though it is 16 characters.
  mailbox.setNames(5, { nodename: 'é'.repeat(15) });
  assert.equal(mailbox.nodename(5), 'é'.repeat(15));
  assert.throws(() => mailbox.setNames(5, { nodename: 'é'.repeat(16) }), MailboxError);
  mailbox.setNames(5, { nodename: 'Ωμέγα ✓ 😀' });
  assert.equal(mailbox.nodename(5), 'Ωμέγα ✓ 😀');
  assert.equal(mailbox.nodename(4), longest, 'a refused name changes nothing');

  // A short name after a long one leaves no tail of the long one.
  mailbox.setNames(4, { nodename: 'ab' });
  assert.equal(mailbox.nodename(4), 'ab');
  assert.deepEqual([...view.subarray(4 * 512, 4 * 512 + 32)], [0x61, 0x62, ...new Array(30).fill(0)]);
  // Cleared: all 32 bytes zero.
  mailbox.setNames(4, { nodename: '', cclass: '' });
  assert.equal(mailbox.nodename(4), '');
  assert.equal(mailbox.cclass(4), '');
  assert.deepEqual([...view.subarray(4 * 512, 4 * 512 + 64)], new Array(64).fill(0));
  // Names never touch buflen or peer_id.
  assert.equal(mailbox.buflen(4), 0n);
  assert.equal(mailbox.field(4, 'peerId'), 4n);
});

test('hostile names: no NUL in the 32 bytes, not UTF-8 → MailboxError naming the slot and the field', () => {
  const { view, mailbox } = fresh();
  view.fill(0x41, 6 * 512, 6 * 512 + 32); // 32 × 'A', no NUL; the cclass after it is fine
  assert.throws(() => mailbox.nodename(6), isError(MailboxError, /slot 6/, /nodename/, /no NUL in its 32 bytes/));
  assert.equal(mailbox.cclass(6), '', 'the name does not run into the next field');
  view.fill(0x42, 6 * 512 + 32, 6 * 512 + 64);
  assert.throws(() => mailbox.cclass(6), isError(MailboxError, /slot 6/, /cclass/, /no NUL/));

  view.set([0xff, 0xfe, 0x41, 0], 7 * 512);
  assert.throws(() => mailbox.nodename(7), isError(MailboxError, /slot 7/, /nodename/, /not UTF-8/));
  view.set([0xc3, 0x28, 0], 7 * 512 + 32); // a broken two-byte sequence
  assert.throws(() => mailbox.cclass(7), isError(MailboxError, /slot 7/, /cclass/, /not UTF-8/));
  view.set([0xed, 0xa0, 0x80, 0], 8 * 512); // an encoded surrogate
  assert.throws(() => mailbox.nodename(8), isError(MailboxError, /slot 8/, /not UTF-8/));
  view.set([0xc0, 0xaf, 0], 8 * 512); // an overlong '/'
  assert.throws(() => mailbox.nodename(8), isError(MailboxError, /slot 8/, /not UTF-8/));
  // Bytes after the NUL do not matter.
  view.set([0x6f, 0x6b, 0, 0xff, 0xff, 0xff], 9 * 512);
  assert.equal(mailbox.nodename(9), 'ok');
  // setNames repairs a hostile name.
  mailbox.setNames(6, { nodename: 'fixed', cclass: 'too' });
  assert.equal(mailbox.nodename(6), 'fixed');
  assert.equal(mailbox.cclass(6), 'too');
});

test("put/take: round trip (multi-byte UTF-8 too), buflen in bytes, the buffer's tail zeroed, take() hands the slot back", () => {
  const { view, mailbox } = fresh();
  assert.equal(mailbox.isFree(2), true);
  mailbox.put(2, 'ping!EZT=1');
  assert.equal(mailbox.buflen(2), 10n);
  assert.equal(u64(view, 2 * 512 + 64), 10n);
  assert.equal(mailbox.isFree(2), false);
  assert.deepEqual([...view.subarray(2 * 512 + 128, 2 * 512 + 138)], [...Buffer.from('ping!EZT=1')]);
  assert.equal(mailbox.take(2), 'ping!EZT=1');
  assert.equal(mailbox.buflen(2), 0n);
  assert.equal(mailbox.isFree(2), true);

  const text = 'héllo wörld ✓ 😀 日本語';
  mailbox.put(2, text);
  assert.equal(mailbox.buflen(2), BigInt(Buffer.byteLength(text)));
  assert.notEqual(Buffer.byteLength(text), text.length);
  assert.equal(mailbox.take(2), text);

  // A long message, then a short one: no tail of the long one is left.
  mailbox.put(2, 'x'.repeat(300));
  mailbox.put(2, 'ab');
  assert.deepEqual([...view.subarray(2 * 512 + 128, 2 * 512 + 512)], [0x61, 0x62, ...new Array(382).fill(0)]);
  assert.equal(mailbox.take(2), 'ab');

  // Bytes a peer wrote past the message: the next one still ends in a NUL.
  view.fill(0x7a, 2 * 512 + 128, 2 * 512 + 512);
  mailbox.put(2, 'pong');
  assert.deepEqual([...view.subarray(2 * 512 + 128, 2 * 512 + 133)], [...Buffer.from('pong'), 0]);
  assert.equal(mailbox.take(2), 'pong');
  mailbox.put(2, 'ü'.repeat(10));
  assert.equal(view[2 * 512 + 128 + 20], 0, 'after a multi-byte one too');
  assert.equal(mailbox.take(2), 'ü'.repeat(10));

  // The empty message: buflen 0, the slot is free (a message of nothing is no message).
  mailbox.put(2, '');
  assert.equal(mailbox.isFree(2), true);
  assert.equal(mailbox.take(2), '');

  // Nothing else in the slot or its neighbours changes.
  assert.equal(mailbox.field(2, 'peerId'), 2n);
  assert.equal(mailbox.field(1, 'peerId'), 1n);
  assert.equal(mailbox.buflen(3), 0n);
});

test('put: at most 383 bytes (in bytes: a 383-byte message fits, 384 does not, nor 192 two-byte characters)', () => {
  const { view, mailbox } = fresh();
  const max = 'm'.repeat(383);
  mailbox.put(5, max);
  assert.equal(mailbox.buflen(5), 383n);
  assert.equal(view[5 * 512 + 511], 0, 'the last byte of the buffer stays 0');
  assert.equal(mailbox.take(5), max);
  assert.throws(() => mailbox.put(5, 'm'.repeat(384)), isError(MailboxError, /at most 383 bytes, not 384/));
  assert.throws(() => mailbox.put(5, 'é'.repeat(192)), isError(MailboxError, /not 384/));
  mailbox.put(5, 'é'.repeat(191) + 'x'); // 383 bytes
  assert.equal(mailbox.take(5), 'é'.repeat(191) + 'x');
  // A refused message leaves the slot as it was.
  mailbox.put(5, 'before');
  assert.throws(() => mailbox.put(5, 'z'.repeat(1000)), MailboxError);
  assert.throws(() => mailbox.put(5, `ab${'é'.repeat(200)}`), MailboxError, 'an ASCII start, too long in bytes');
  assert.equal(mailbox.buflen(5), 6n);
  assert.equal(mailbox.take(5), 'before');
  // The neighbour's slot is never written by a message.
  assert.equal(mailbox.nodename(6), '');
  assert.equal(mailbox.field(6, 'peerId'), 6n);
});

test('take(): a buflen of exactly 384 reads the whole buffer and nothing past it', () => {
  const { view, mailbox } = fresh();
  view.fill(0x71, 3 * 512 + 128, 3 * 512 + 512);
  view.fill(0x72, 4 * 512, 4 * 512 + 31); // slot 4's nodename, right after
  setU64(view, 3 * 512 + 64, 384n);
  assert.equal(mailbox.take(3), 'q'.repeat(384));
  assert.equal(mailbox.buflen(3), 0n);
});

test('hostile buflen past the 384-byte buffer (385, 2^63, 2^64-1, ...) → MailboxError naming the slot; the slot is handed back', () => {
  const { view, mailbox } = fresh();
  for (const bad of [385n, 512n, 4096n, 2n ** 32n, 2n ** 53n + 1n, 2n ** 63n, 2n ** 64n - 1n]) {
    view.fill(0x61, 9 * 512 + 128, 9 * 512 + 512);
    setU64(view, 9 * 512 + 64, bad);
    assert.equal(mailbox.buflen(9), bad, 'buflen reads the whole u64');
    assert.equal(mailbox.isFree(9), false);
    assert.throws(
      () => mailbox.take(9),
      isError(MailboxError, /slot 9/, new RegExp(`buflen ${bad}`), /384/),
      String(bad),
    );
    assert.equal(mailbox.buflen(9), 0n, `slot handed back after buflen ${bad}`);
    assert.equal(mailbox.isFree(9), true);
  }
  // The slot works again afterwards.
  mailbox.put(9, 'ok');
  assert.equal(mailbox.take(9), 'ok');
});

test('hostile bytes that are not UTF-8 → MailboxError naming the slot; the slot is handed back', () => {
  const { view, mailbox } = fresh();
  const bad: number[][] = [
    [0xff],
    [0xfe, 0xff],
    [0x80],
    [0xc3, 0x28],
    [0xe2, 0x82],
    [0xf0, 0x9f, 0x98],
    [0xed, 0xa0, 0x80],
    [0xc0, 0x80],
    [0xf4, 0x90, 0x80, 0x80],
    [0x70, 0x69, 0x6e, 0x67, 0xff],
  ];
  for (const bytes of bad) {
    view.set(bytes, 11 * 512 + 128);
    setU64(view, 11 * 512 + 64, BigInt(bytes.length));
    assert.throws(() => mailbox.take(11), isError(MailboxError, /slot 11/, /not UTF-8/), bytes.join(','));
    assert.equal(mailbox.buflen(11), 0n, `handed back after ${bytes.join(',')}`);
  }
  // A buflen that cuts a valid multi-byte character in half is not UTF-8 either.
  mailbox.put(11, 'a😀');
  setU64(view, 11 * 512 + 64, 3n);
  assert.throws(() => mailbox.take(11), isError(MailboxError, /slot 11/, /not UTF-8/));
  assert.equal(mailbox.isFree(11), true);
  // NUL bytes are valid UTF-8: they come through as they are.
  view.set([0x61, 0, 0x62], 11 * 512 + 128);
  setU64(view, 11 * 512 + 64, 3n);
  assert.equal(mailbox.take(11), 'a\0b');
});

test('handBack() and fields: buflen 0; field/setField read and write each u64 at its offset', () => {
  const { view, mailbox } = fresh();
  mailbox.put(7, 'waiting');
  mailbox.handBack(7);
  assert.equal(mailbox.isFree(7), true);
  assert.equal(u64(view, 7 * 512 + 64), 0n);
  const fields = ['buflen', 'peerId', 'lastResponder', 'peerSID', 'peerCID'] as const;
  for (const [i, name] of fields.entries()) {
    mailbox.setField(7, name, 1000 + i);
    assert.equal(u64(view, 7 * 512 + SLOT[name]), BigInt(1000 + i), name);
    assert.equal(mailbox.field(7, name), BigInt(1000 + i), name);
  }
  setU64(view, 7 * 512 + 96, 2n ** 64n - 1n);
  assert.equal(mailbox.field(7, 'peerCID'), 2n ** 64n - 1n);
  assert.equal(mailbox.field(6, 'peerCID'), 0n, 'a neighbour untouched');
  assert.equal(mailbox.field(8, 'peerId'), 8n, 'a neighbour untouched');
});

test('a slot out of range (0, past the memory, negative, fractional, NaN) is a RangeError, and nothing is written', () => {
  const { view, mailbox } = fresh(); // 16 slots: 0 (globals), 1..15
  const before = Uint8Array.from(view);
  const calls: Array<[string, (id: number) => unknown]> = [
    ['nodename', (id) => mailbox.nodename(id)],
    ['cclass', (id) => mailbox.cclass(id)],
    ['setNames', (id) => mailbox.setNames(id, { nodename: 'x', cclass: 'y' })],
    ['buflen', (id) => mailbox.buflen(id)],
    ['isFree', (id) => mailbox.isFree(id)],
    ['take', (id) => mailbox.take(id)],
    ['put', (id) => mailbox.put(id, 'x')],
    ['field', (id) => mailbox.field(id, 'peerId')],
    ['handBack', (id) => mailbox.handBack(id)],
    ['setField', (id) => mailbox.setField(id, 'nodename', 7)],
  ];
  const problems: string[] = [];
  for (const id of [0, 16, 17, 1000, -1, 1.5, NaN]) {
    for (const [name, call] of calls) {
      try {
        call(id);
        problems.push(`${name}(${id}) did not throw`);
      } catch (error) {
        if (!(error instanceof RangeError)) problems.push(`${name}(${id}) threw ${String(error)}, not a RangeError`);
      }
      const changed = view.findIndex((byte, i) => byte !== before[i]);
      if (changed >= 0) {
        problems.push(
          `${name}(${id}) wrote byte ${changed} (slot ${Math.floor(changed / 512)}, offset ${changed % 512})`,
        );
        view.set(before);
      }
    }
  }
  assert.deepEqual(problems, [], 'every out-of-range slot is refused before anything is written');
  // The globals are intact after all of it.
  assert.deepEqual(mailbox.globals(), geometry(14));
  // The last slot is in range.
  assert.equal(mailbox.nodename(15), '');
  // In a 4096-byte mailbox (1 client: slots 0..7) slot 8 is out of range.
  const small = new Mailbox(new Uint8Array(4096));
  small.format(1);
  assert.equal(small.buflen(7), 0n);
  assert.throws(() => small.buflen(8), isError(RangeError, /no slot 8 in a mailbox of 4096 bytes/));
});
