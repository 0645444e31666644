// Checks the e2e harness's pure parts (console parsing, step encoding, QEMU
// arguments) on console text captured from a real guest. Starts no QEMU.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import {
  encodeStep,
  guestAvailable,
  kernelCommandLine,
  parseConsole,
  parseLine,
  PUB_MAGIC,
  qemuArgs,
  repoRoot,
  type GuestEvent,
} from './harness.js';

// Captured from `famez=pub:0,wait:300,ring:0:3,wait:3000,bogus:1` with vectors=4
// (the guest rings itself): serial lines end in \r\n, the first FAMEZ line is
// glued to SeaBIOS escape codes, the kernel adds its own lines.
const SAMPLE =
  '\x1bc\x1b[?7l\x1b[2J\x1b[0mSeaBIOS (version 1.16.2-debian-1.16.2-1)\r\n' +
  'Booting from ROM...\r\n' +
  '\x1bc\x1b[?7l\x1b[2JFAMEZ id=0 ready dev=0000:00:02.0 bar0=0xfebf1000 bar2=0xfe000000 size=1048576 vectors=4 uptime_ms=2140\r\n' +
  'FAMEZ id=0 pub off=0 val=0x465a0000\r\n' +
  'FAMEZ id=0 wait result=timeout pending=0x00000000 after_ms=320\r\n' +
  'FAMEZ id=0 ring peer=0 vector=3\r\n' +
  'FAMEZ id=0 wait result=irq pending=0x00000008 after_ms=30\r\n' +
  'FAMEZ id=0 error reason=bad-step step=bogus:1\r\n' +
  '[    2.567378] reboot: Power down\r\n';

function only<K extends GuestEvent['event']>(events: GuestEvent[], name: K): Extract<GuestEvent, { event: K }>[] {
  return events.filter((e): e is Extract<GuestEvent, { event: K }> => e.event === name);
}

describe('e2e harness: console parsing', () => {
  it('parses a captured console into typed events', () => {
    const events = parseConsole(SAMPLE);
    assert.deepEqual(
      events.map((e) => e.event),
      ['ready', 'pub', 'wait', 'ring', 'wait', 'error'],
    );
    const [ready] = only(events, 'ready');
    assert.equal(ready!.id, 0);
    assert.equal(ready!.dev, '0000:00:02.0');
    assert.equal(ready!.bar0, 0xfebf1000);
    assert.equal(ready!.bar2, 0xfe000000);
    assert.equal(ready!.size, 1 << 20);
    assert.equal(ready!.vectors, 4);
    assert.equal(ready!.uptimeMs, 2140);
    assert.equal(ready!.line.startsWith('FAMEZ id=0 ready '), true);
    const [pub] = only(events, 'pub');
    assert.equal(pub!.off, 0);
    assert.equal(pub!.val, (PUB_MAGIC | 0) >>> 0);
    const [timeout, irq] = only(events, 'wait');
    assert.equal(timeout!.ok, false);
    assert.deepEqual(timeout!.pending, []);
    assert.equal(irq!.ok, true);
    assert.deepEqual(irq!.pending, [3]);
    assert.equal(irq!.pendingMask, 8n);
    assert.equal(irq!.afterMs, 30);
    const [ring] = only(events, 'ring');
    assert.equal(ring!.peer, 0);
    assert.equal(ring!.vector, 3);
    const [error] = only(events, 'error');
    assert.equal(error!.reason, 'bad-step step=bogus:1');
  });

  it('parses every event kind', () => {
    const text = [
      'FAMEZ id=7 write off=16 val=0xcafef00d',
      'FAMEZ id=7 read off=32 val=0x000a11ce',
      'FAMEZ id=7 waitmem off=16 want=0x00000b0b val=0x00000000 result=timeout after_ms=540',
      'FAMEZ id=7 waitmem off=16 want=0x00000b0b val=0x00000b0b result=ok after_ms=40',
      'FAMEZ id=7 sleep ms=250',
      'FAMEZ id=7 wait result=irq pending=0x800000002 after_ms=50',
      'FAMEZ id=7 done uptime_ms=3020',
      'FAMEZ id=? error reason=no-ivshmem-device',
    ].join('\n');
    const events = parseConsole(text);
    assert.deepEqual(
      events.map((e) => e.event),
      ['write', 'read', 'waitmem', 'waitmem', 'sleep', 'wait', 'done', 'error'],
    );
    assert.equal(only(events, 'write')[0]!.val, 0xcafef00d);
    assert.equal(only(events, 'read')[0]!.off, 32);
    const [late, ok] = only(events, 'waitmem');
    assert.equal(late!.ok, false);
    assert.equal(late!.val, 0);
    assert.equal(late!.want, 0xb0b);
    assert.equal(ok!.ok, true);
    assert.equal(only(events, 'sleep')[0]!.ms, 250);
    assert.deepEqual(only(events, 'wait')[0]!.pending, [1, 35]);
    assert.equal(only(events, 'done')[0]!.uptimeMs, 3020);
    const err = only(events, 'error')[0]!;
    assert.equal(err.id, null);
    assert.equal(err.reason, 'no-ivshmem-device');
  });

  it('ignores everything that is not a whole FAMEZ line', () => {
    for (const line of [
      '',
      'Booting from ROM...',
      '[    2.567378] reboot: Power down',
      'FAMEZ',
      'FAMEZ id=x ready',
      'FAMEZ id=0 ready dev=0000:00:02.0', // fields missing
      'FAMEZ id=0 ring peer=zero vector=0', // not a number
      'FAMEZ id=0 launch off=0', // unknown event
      'FAMEZ id=0 pub off=0 val=0x465a0000 junk', // not key=value
    ]) {
      assert.equal(parseLine(line), undefined, line);
    }
  });

  it('finds the line after noise and strips \\r and escape codes', () => {
    const e = parseLine('[    1.0] x: \x1b[1mFAMEZ id=3 ring peer=4 vector=1\r');
    assert.equal(e?.event, 'ring');
    assert.equal(e?.line, 'FAMEZ id=3 ring peer=4 vector=1');
  });
});

describe('e2e harness: steps and QEMU arguments', () => {
  it('encodes steps', () => {
    assert.equal(encodeStep({ op: 'pub', off: 0 }), 'pub:0');
    assert.equal(encodeStep({ op: 'write', off: 16, val: 0xcafef00d }), 'write:16:3405705229');
    assert.equal(encodeStep({ op: 'read', off: 4 }), 'read:4');
    assert.equal(encodeStep({ op: 'waitmem', off: 8, val: 1 }), 'waitmem:8:1');
    assert.equal(encodeStep({ op: 'waitmem', off: 8, val: 1, timeoutMs: 500 }), 'waitmem:8:1:500');
    assert.equal(encodeStep({ op: 'ring', peer: 3 }), 'ring:3:0');
    assert.equal(encodeStep({ op: 'ring', peer: '@4', vector: 2, timeoutMs: 100 }), 'ring:@4:2:100');
    assert.equal(encodeStep({ op: 'wait' }), 'wait');
    assert.equal(encodeStep({ op: 'wait', timeoutMs: 2000 }), 'wait:2000');
    assert.equal(encodeStep({ op: 'sleep', ms: 10 }), 'sleep:10');
    assert.equal(encodeStep('read:0x100'), 'read:0x100');
  });

  it('rejects bad steps before QEMU starts', () => {
    assert.throws(() => encodeStep({ op: 'read', off: 2 }), RangeError);
    assert.throws(() => encodeStep({ op: 'write', off: 0, val: -1 }), RangeError);
    assert.throws(() => encodeStep({ op: 'write', off: 0, val: 2 ** 32 }), RangeError);
    assert.throws(() => encodeStep({ op: 'ring', peer: 65536 }), RangeError);
    assert.throws(() => encodeStep({ op: 'ring', peer: 1, vector: 256 }), RangeError);
    assert.throws(() => encodeStep({ op: 'ring', peer: '@6' }), RangeError);
    assert.throws(() => encodeStep({ op: 'ring', peer: 1, timeoutMs: 5 }), RangeError);
    assert.throws(() => encodeStep('read 0'), RangeError);
    assert.throws(() => encodeStep('read:0,ring:1'), RangeError);
    assert.throws(() => kernelCommandLine(Array.from({ length: 300 }, () => ({ op: 'read', off: 1000 }))), RangeError);
  });

  it('builds the kernel command line and QEMU arguments', () => {
    assert.equal(kernelCommandLine(), 'console=ttyS0 quiet panic=-1');
    assert.equal(
      kernelCommandLine([{ op: 'pub', off: 0 }, 'wait:100']),
      'console=ttyS0 quiet panic=-1 famez=pub:0,wait:100',
    );
    const args = qemuArgs(
      { socket: '/tmp/x.sock', vectors: 4, steps: [{ op: 'pub', off: 0 }] },
      { kernel: '/k', initrd: '/i' },
    );
    const after = (flag: string) => args[args.indexOf(flag) + 1];
    assert.equal(after('-kernel'), '/k');
    assert.equal(after('-initrd'), '/i');
    assert.equal(after('-append'), 'console=ttyS0 quiet panic=-1 famez=pub:0');
    assert.equal(after('-chardev'), 'socket,path=/tmp/x.sock,id=iv');
    assert.equal(after('-device'), 'ivshmem-doorbell,chardev=iv,vectors=4');
    assert.equal(after('-machine'), 'q35,accel=tcg');
    assert.ok(args.includes('-no-reboot') && args.includes('-nographic'));
    assert.throws(() => qemuArgs({ socket: '/tmp/a,b' }, { kernel: '/k', initrd: '/i' }), RangeError);
    assert.throws(() => qemuArgs({ socket: '/tmp/s', vectors: 0 }, { kernel: '/k', initrd: '/i' }), RangeError);
  });

  it('finds the repository and the guest build script', () => {
    assert.ok(existsSync(path.join(repoRoot(), 'test', 'e2e', 'guest', 'build.sh')));
    assert.ok(existsSync(path.join(repoRoot(), 'test', 'e2e', 'guest', 'init.sh')));
  });

  it('says whether guests can run', () => {
    const saved = process.env.FAMEZ_E2E;
    process.env.FAMEZ_E2E = '0';
    try {
      assert.deepEqual(guestAvailable(), { ok: false, reason: 'FAMEZ_E2E=0' });
    } finally {
      if (saved === undefined) delete process.env.FAMEZ_E2E;
      else process.env.FAMEZ_E2E = saved;
    }
    const a = guestAvailable();
    assert.equal(typeof a.ok, 'boolean');
    if (!a.ok) assert.equal(typeof a.reason, 'string');
  });
});
