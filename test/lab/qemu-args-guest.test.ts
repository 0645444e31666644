// famez qemu-args output, used verbatim, attaches a real QEMU guest to a real
// famez server run with the same options: the guest gets the memory size and
// vectors asked for and what it writes is what the host reads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from '../../src/index.js';
import { Famez, famez } from '../cli/cli.js';
import { LineProcess } from '../helpers/line-process.js';
import { ensureGuest, kernelCommandLine, parseConsole, PUB_MAGIC, QEMU, skipE2e, useGuests } from '../e2e/harness.js';

const dir = useGuests('famez-qemu-args-');

test('famez qemu-args output, verbatim, attaches a real guest to famez server with the same options', {
  skip: skipE2e,
  timeout: 120_000,
}, async (t) => {
  const shm = `famez-qemu-args-${process.pid}`;
  t.after(() => rmSync(`/dev/shm/${shm}`, { force: true }));
  const options = ['-S', join(dir, 'iv.sock'), '-M', shm, '-l', '2M', '-n', '3'];
  const server = new Famez(t, ['server', ...options]);
  await server.line(/listening on/);

  const printed = famez(['qemu-args', ...options, '--form', 'doorbell']);
  assert.equal(printed.status, 0, printed.stderr);
  const stanza = printed.stdout.trim().split(' '); // no word needs quoting here: the shell would split it the same way

  const image = await ensureGuest();
  const guest = new LineProcess(t, 'QEMU guest', QEMU, [
    '-machine',
    'q35,accel=tcg',
    '-cpu',
    'max',
    '-m',
    '256',
    '-nographic',
    '-no-reboot',
    '-nic',
    'none',
    '-kernel',
    image.kernel,
    '-initrd',
    image.initrd,
    '-append',
    kernelCommandLine([{ op: 'pub', off: 0 }]),
    ...stanza,
  ]);
  assert.deepEqual(await guest.exit(90_000), { code: 0, signal: null }, guest.stderr.join('\n'));
  const events = parseConsole(guest.stdout.join('\n'));
  const ready = events.find((e) => e.event === 'ready');
  assert.ok(ready && ready.event === 'ready', guest.stdout.join('\n'));
  assert.equal(ready.size, 2 << 20);
  assert.equal(ready.vectors, 3);
  assert.ok(events.some((e) => e.event === 'done'));

  const host = await connect({ path: join(dir, 'iv.sock') });
  t.after(() => host.close());
  const bytes = host.memory.map(0, 4096);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  assert.equal(
    view.getUint32(0, true),
    (PUB_MAGIC | ready.id!) >>> 0,
    "the guest wrote its tag into the server's memory",
  );
});
