// QEMU's own ivshmem-client (built from QEMU 7.2's source), unchanged, on a
// famez fabric: it joins beside a mailbox peer, sees every peer (the mailbox
// peer, the switch as peer 15 and itself) with the fabric's 16 vectors each,
// and rings and is rung by the mailbox peer.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createFabric, type Fabric } from '../../src/fabric/index.js';
import { waitFor } from '../helpers/fds.js';
import { MailboxPeer } from '../fabric/mailbox-peer.js';
import { doorbell, type Dump, QemuClient, skip, useQemuTools } from './tools.js';

const dir = useQemuTools();
let fabrics = 0;

async function fabric(t: TestContext): Promise<Fabric> {
  const n = fabrics++;
  const f = createFabric({
    socketPath: join(dir, `sock${n}`),
    mailbox: join(dir, `mailbox${n}`),
    nClients: 14,
    mode: 'managing',
    ids: 'lowest',
    recycle: true,
  });
  t.after(() => f.close());
  await f.listen();
  return f;
}

test("QEMU's ivshmem-client joins a famez fabric beside a mailbox peer and dumps every peer with 16 vectors", {
  skip,
  timeout: 60_000,
}, async (t) => {
  const f = await fabric(t);
  const peer = await MailboxPeer.connect(f.socketPath, { nodename: 'z01', cclass: 'Debugger' });
  t.after(() => peer.close());
  assert.equal(peer.id, 1);

  const client = new QemuClient(t, f.socketPath);
  await client.connected();
  // QEMU's client learns of peers, and of its own vectors, one message at a time:
  // dump until it knows all three with every vector the server sends.
  const dump: Dump = await waitFor(
    async () => {
      const d = await client.dump();
      return d.peers.size === 3 && [...d.peers.values()].every((fds) => fds.length >= 16) && d;
    },
    "QEMU's client to know the mailbox peer, the switch and itself with all their vectors",
    10_000,
    50,
  );

  const qemu = dump.ourId;
  assert.equal(qemu, 2, "the lowest free id after the mailbox peer's");
  assert.deepEqual(
    [...dump.peers.keys()].sort((a, b) => a - b),
    [peer.id, qemu, f.layout.serverId],
    `every peer in ${dump.lines.join(' | ')}`,
  );
  for (const [id, fds] of dump.peers) {
    assert.equal(fds.length, 16, `peer ${id} has 16 vectors: ${dump.lines.join(' | ')}`);
    assert.equal(new Set(fds).size, 16, `peer ${id}: 16 distinct fds`);
    assert.ok(
      fds.every((fd) => fd > 2),
      `peer ${id}: fds ${fds} are real descriptors`,
    );
  }
  assert.ok(f.ports.has(qemu), "QEMU's client is a port of the fabric");
  assert.equal(f.mailbox.cclass(qemu), 'Driverless QEMU', "the fabric wrote the newcomer's cclass");
  await waitFor(() => peer.client.peers.get(qemu) === 16, "the mailbox peer to hear of QEMU's client with 16 vectors");
  assert.deepEqual(
    [...peer.client.peers].sort((a, b) => a[0] - b[0]),
    [
      [peer.id, 16],
      [qemu, 16],
      [f.layout.serverId, 16],
    ],
  );

  // Doorbells both ways, on the vector that names the ringer, as the mailbox protocol rings.
  await client.hears(() => peer.client.ring(qemu, peer.id), qemu, peer.id);
  const rung = doorbell(peer.client, qemu);
  client.send(`int ${peer.id} ${qemu}`);
  await rung;
});
