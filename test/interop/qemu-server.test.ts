// `famez client`, unchanged, against QEMU's own ivshmem-server (built from
// QEMU 7.2's source), next to QEMU's own ivshmem-client: the same dump, rings
// both ways, and memory written by one side read by the other.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from '../../src/index.js';
import { waitFor } from '../helpers/fds.js';
import { ensureGuest, guestAvailable, startGuest } from '../e2e/harness.js';
import { doorbell, type Dump, FamezConsole, QemuClient, QemuServer, skip, useQemuTools } from './tools.js';

const dir = useQemuTools();
let servers = 0;

interface Setup {
  server: QemuServer;
  shm: string;
  qemu: QemuClient;
  famez: FamezConsole;
  qemuId: number;
  famezId: number;
}

/** QEMU's server on `socketPath` (default: a new one) with a new POSIX shm object of 1 MiB, 2 vectors. */
async function startQemuServer(
  t: TestContext,
  socketPath = join(dir, `sock${servers}`),
): Promise<{ server: QemuServer; shm: string }> {
  const name = `famez-interop-${process.pid}-${servers++}`;
  const shm = `/dev/shm/${name}`;
  t.after(() => rmSync(shm, { force: true }));
  const server = new QemuServer(t, socketPath, ['-M', name, '-l', '1M', '-n', '2']);
  await server.ready();
  return { server, shm };
}

/** QEMU's server, QEMU's client, then famez's client. */
async function setUp(t: TestContext, famezArgs: string[] = []): Promise<Setup> {
  const { server, shm } = await startQemuServer(t);
  const qemu = new QemuClient(t, server.socketPath);
  await qemu.connected();
  const qemuId = (await qemu.dump()).ourId;
  const famez = new FamezConsole(t, server.socketPath, famezArgs);
  const famezId = await famez.connected();
  return { server, shm, qemu, famez, qemuId, famezId };
}

/** The dump's lines with ids and fd numbers left out: what must match between the two clients. */
function shape(dump: Dump): string[] {
  return dump.lines.map((line) => line.replace(/= \d+$/, '= N').replace(/\(fd=\d+\)$/, '(fd=F)'));
}

test("famez client and QEMU's ivshmem-client print the same dump of QEMU's server", {
  skip,
  timeout: 60_000,
}, async (t) => {
  const { server, qemu, famez, qemuId, famezId } = await setUp(t);
  let fromQemu = await qemu.dump();
  await waitFor(
    async () => (fromQemu = await qemu.dump()).peers.has(famezId),
    "QEMU's client to see the famez client",
    10_000,
    50,
  );
  const fromFamez = await famez.dump();

  assert.equal(fromFamez.ourId, famezId);
  assert.deepEqual([...fromFamez.peers.keys()].sort(), [qemuId, famezId].sort());
  assert.deepEqual([...fromQemu.peers.keys()].sort(), [qemuId, famezId].sort());
  assert.deepEqual(shape(fromFamez), shape(fromQemu), 'same lines but for ids and fd numbers');
  assert.equal(fromFamez.peers.get(famezId)!.length, 2);
  assert.equal(fromFamez.peers.get(qemuId)!.length, 2);
  await server.line(new RegExp(`new peer id = ${famezId}$`));
});

test("famez client and QEMU's ivshmem-client ring each other through QEMU's server", {
  skip,
  timeout: 60_000,
}, async (t) => {
  const { qemu, famez, qemuId, famezId } = await setUp(t);
  await waitFor(
    async () => (await qemu.dump()).peers.has(famezId),
    "QEMU's client to see the famez client",
    10_000,
    50,
  );

  await qemu.hears(() => famez.send(`int ${qemuId} 1`), qemuId, 1);
  await famez.hears(() => qemu.send(`int ${famezId} 0`), famezId, 0);
  await famez.hears(() => qemu.send('int all'), famezId, 0, 1);
  await qemu.hears(() => famez.send('int all'), qemuId, 0, 1);
  await qemu.hears(() => famez.send(`int ${qemuId} all`), qemuId, 0, 1);
  assert.ok(famez.running, 'every command succeeded (a failing one ends a scripted famez client)');
});

test("memory written by the famez client is read by the other side of QEMU's server, and the other way round", {
  skip,
  timeout: 60_000,
}, async (t) => {
  const { server, shm, qemu, famez, qemuId, famezId } = await setUp(t);
  const host = await connect({ path: server.socketPath }); // famez's library: another peer of QEMU's server
  t.after(() => host.close());
  const view = host.memory.map(0, 4096);

  famez.send('write 0x100 "written by famez client"');
  famez.send('fill 0x200 16 0x5a');
  famez.send(`wait peer ${qemuId} 1`); // its answer comes after the writes are done
  await famez.line(new RegExp(`^peer ${qemuId} is present$`));
  assert.equal(
    Buffer.from(view.subarray(0x100, 0x117)).toString(),
    'written by famez client',
    "the library peer reads the console's write",
  );
  assert.ok(view.subarray(0x200, 0x210).every((b) => b === 0x5a));
  const onDisk = Buffer.alloc(23);
  const fd = openSync(shm, 'r+');
  try {
    readSync(fd, onDisk, 0, 23, 0x100);
    assert.equal(onDisk.toString(), 'written by famez client', "QEMU's server's shm object holds it");
    writeSync(fd, Buffer.from("from QEMU's shm."), 0, 16, 0x300);
  } finally {
    closeSync(fd);
  }
  view.set(Buffer.from('from the library'), 0x400);

  let mark = famez.stdout.length;
  famez.send('read 0x300 16');
  await famez.line(/^00000300 .*\|from QEMU's shm\.\|$/, 10_000, mark);
  mark = famez.stdout.length;
  famez.send('read 0x400 16');
  await famez.line(/^00000400 .*\|from the library\|$/, 10_000, mark);

  // The library peer rings and is rung through QEMU's server too.
  await waitFor(
    async () => (await qemu.dump()).peers.has(host.id),
    "QEMU's client to see the library peer",
    10_000,
    50,
  );
  const rung = doorbell(host, 1);
  qemu.send(`int ${host.id} 1`);
  await rung;
  await famez.hears(() => host.ring(famezId, 0), famezId, 0);
});

test("famez client follows peers of QEMU's server leaving and joining, and reconnects after it restarts", {
  skip,
  timeout: 60_000,
}, async (t) => {
  const { server, qemu, famez, qemuId } = await setUp(t, ['--reconnect', '-v']); // -v: peer lines, as QEMU's -v
  let mark = famez.stdout.length;
  qemu.child.kill('SIGKILL');
  await famez.line(new RegExp(`^delete peer id = ${qemuId}$`), 10_000, mark);
  assert.ok(!(await famez.dump()).peers.has(qemuId));

  mark = famez.stdout.length;
  const late = new QemuClient(t, server.socketPath);
  await late.connected();
  const lateId = Number(/new peer id = (\d+)$/.exec(await famez.line(/^new peer id = \d+$/, 10_000, mark))![1]);
  assert.equal(lateId, (await late.dump()).ourId);

  // QEMU's server goes away and comes back on the same path: famez reconnects with a new id.
  mark = famez.stdout.length;
  server.child.kill('SIGTERM');
  await server.exit();
  await startQemuServer(t, server.socketPath);
  await famez.line(/^reconnected, our_id = \d+$/, 15_000, mark);
  const after = await famez.dump();
  assert.deepEqual([...after.peers.keys()], [after.ourId], 'alone on the new server');
});

test("famez client rings a QEMU guest through QEMU's server, is rung by it, and each reads what the other wrote", {
  skip,
  timeout: 180_000,
}, async (t) => {
  const available = guestAvailable();
  if (!available.ok) throw new Error(`this test needs QEMU and the test guest: ${available.reason}`);
  await ensureGuest();
  const { server, qemu, famez, qemuId, famezId } = await setUp(t);
  famez.send('write 40 0x0df0edfe');
  // The guest rings first, so famez knows the guest's doorbells are live before ringing back.
  const guest = startGuest({
    socket: server.socketPath,
    vectors: 2,
    name: 'guest',
    steps: [
      { op: 'ring', peer: famezId, vector: 1 },
      { op: 'ring', peer: qemuId, vector: 0 },
      { op: 'wait' },
      { op: 'read', off: 40 },
      { op: 'write', off: 32, val: 0x12345678 },
      { op: 'ring', peer: famezId, vector: 0 },
    ],
  });
  t.after(() => guest.kill());

  const { id: guestId } = await guest.waitFor('ready', 90_000);
  await famez.notification(famezId, 1, 0, 90_000);
  await qemu.notification(qemuId, 0, 0, 30_000); // QEMU's own client hears the guest too
  famez.send(`wait peer ${guestId} 30`); // announced at the guest's join; waited for, not assumed
  await famez.line(new RegExp(`^peer ${guestId} is present$`));
  await famez.hears(() => famez.send(`int ${guestId} 0`), famezId, 0);
  const read = await guest.waitFor('read', 30_000);
  assert.equal(read.val, 0xfeedf00d, 'the guest reads what famez client wrote (little-endian)');
  const mark = famez.stdout.length;
  famez.send('read 32 4');
  await famez.line(/^00000020 {2}78 56 34 12\s+\|xV4\.\|$/, 10_000, mark);
  await guest.finished(60_000);
});
