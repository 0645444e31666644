// QEMU's own ivshmem-client, unchanged, on a switched famez fabric: it is
// handed the server's own eventfds for every other peer (the wire is the
// same), rings and is rung by a mailbox peer as without switching, and the
// router counts each doorbell on the links it crossed.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createFabric, type Fabric } from '../../src/fabric/index.js';
import { topologyFromJson } from '../../src/switching/index.js';
import { waitFor } from '../helpers/fds.js';
import { MailboxPeer } from '../fabric/mailbox-peer.js';
import { doorbell, QemuClient, skip, useQemuTools } from './tools.js';

const dir = useQemuTools();

async function switchedFabric(t: TestContext): Promise<Fabric> {
  const topology = topologyFromJson({
    switches: ['left', 'right'],
    links: [{ name: 'trunk', between: ['left', 'right'], latencyUs: 50 }],
    peers: [
      { id: 1, switch: 'left', port: 1 },
      { id: 2, switch: 'right', port: 1 },
    ],
  });
  const f = createFabric({
    socketPath: join(dir, 'switched-sock'),
    mailbox: join(dir, 'switched-mailbox'),
    nClients: 14,
    ids: 'lowest',
    switched: true,
    topology,
  });
  t.after(() => f.close());
  await f.listen();
  return f;
}

test("QEMU's ivshmem-client on a switched fabric rings and is rung as without switching; a link down stops its doorbells", {
  skip,
  timeout: 60_000,
}, async (t) => {
  const f = await switchedFabric(t);
  const peer = await MailboxPeer.connect(f.socketPath, { nodename: 'z01', cclass: 'Debugger' });
  t.after(() => peer.close());
  const client = new QemuClient(t, f.socketPath);
  await client.connected();
  const qemu = (
    await waitFor(
      async () => {
        const d = await client.dump();
        return d.peers.size === 3 && d;
      },
      "QEMU's client to know every peer",
      10_000,
      50,
    )
  ).ourId;
  await waitFor(() => peer.client.peers.get(qemu) === 16, "the mailbox peer to hear of QEMU's client");

  for (let i = 0; i < 3; i++) {
    await client.hears(() => peer.client.ring(qemu, peer.id), qemu, peer.id);
    const rung = doorbell(peer.client, qemu);
    client.send(`int ${peer.id} ${qemu}`);
    await rung;
  }
  const trunk = f.router!.counters().get('trunk')!;
  assert.equal(trunk.forwarded, 6, 'three rings each way crossed the trunk');

  f.applyFault({ kind: 'link', link: 'trunk', up: false });
  client.send(`int ${peer.id} ${qemu}`);
  await waitFor(() => f.router!.counters().get('peer:2')!.dropped === 1, 'the ring lost at the trunk, counted');
  f.applyFault({ kind: 'link', link: 'trunk', up: true });
  const rung = doorbell(peer.client, qemu);
  client.send(`int ${peer.id} ${qemu}`);
  await rung;
});
