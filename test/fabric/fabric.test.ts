// The fabric over real sockets, fds and shared memory, with host peers
// speaking the mailbox protocol: handshake, mailbox, the switch's answers,
// the link exchange, direct messages, and the mailbox file's life.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createFabric, type FabricMessage } from '../../src/fabric/index.js';
import { connect } from '../../src/client/index.js';
import { nextEvent, sleep, tempDir, waitFor } from '../server/helpers.js';
import { start } from './harness.js';

test("the mailbox: globals, peer ids, the switch's names; a newcomer is Driverless QEMU; a leaver's names are cleared", async (t) => {
  const h = await start(t);
  assert.equal(statSync(join(h.dir, 'mailbox')).size, 8192);
  const a = await h.peer();
  assert.equal(a.id, 1, 'lowest free id first');
  assert.deepEqual(a.layout, { nClients: 14, nEvents: 16, serverId: 15, size: 8192 });
  for (let id = 1; id <= 15; id++) assert.equal(a.mailbox.field(id, 'peerId'), BigInt(id));
  assert.equal(a.mailbox.nodename(15), 'Z-switch');
  assert.equal(a.mailbox.cclass(15), 'FabricSwitch');
  assert.equal(a.mailbox.cclass(1), 'Driverless QEMU');
  assert.equal(a.mailbox.nodename(1), '');
  // Every peer has 16 vectors; the server is peer 15, advertised like any peer.
  assert.deepEqual(
    [...a.client.peers].sort((x, y) => x[0] - y[0]),
    [
      [1, 16],
      [15, 16],
    ],
  );
  const b = await h.peer({ nodename: 'z02', cclass: 'Debugger' });
  assert.equal(b.id, 2);
  assert.equal(a.mailbox.nodename(2), 'z02');
  const left = nextEvent(h.fabric, 'port-left');
  b.close();
  await left;
  assert.equal(a.mailbox.nodename(2), '');
  assert.equal(a.mailbox.cclass(2), '');
  await h.done();
  assert.equal(existsSync(join(h.dir, 'mailbox')), false, 'the mailbox famez created is removed');
});

test('the switch answers ping, Link CTL Peer-Attribute, and the whole RFC → CTL-Write → Standalone Acknowledgment → Peer-Attribute exchange', async (t) => {
  const h = await start(t);
  const a = await h.peer({ nodename: 'z01', cclass: 'Debugger' });
  const heard: FabricMessage[] = [];
  h.fabric.on('message', (m) => heard.push(m));

  await a.send(15, 'ping');
  const pong = await a.expect(15, 'pong');
  assert.equal(pong.tracker, 2, 'the answer carries the next tracker');
  assert.deepEqual(
    heard.map((m) => [m.from, m.nodename, m.body, m.tracker]),
    [[1, 'z01', 'ping', 1]],
  );

  await a.send(15, 'Link CTL Peer-Attribute');
  await a.expect(15, 'Link CTL ACK cclass=FabricSwitch,CID0=1500,SID0=27');

  const linked = nextEvent(h.fabric, 'link');
  await a.send(15, 'Link RFC TTC=27us');
  const write = await a.expect(15, /^CTL-Write /);
  assert.match(write.body, /^CTL-Write Space=0,PFMCID=1500,PFMSID=27,CID=100,SID=27,Tag=(\d+)$/);
  const tag = /Tag=(\d+)/.exec(write.body)![1];
  await a.send(15, `Standalone Acknowledgment Tag=${tag},Reason=OK`);
  assert.equal((await linked)[1], 'configured');
  await a.expect(15, 'Link CTL Peer-Attribute');
  const attributes = nextEvent(h.fabric, 'link');
  await a.send(15, 'Link CTL ACK cclass=Debugger,CID0=100,SID0=27');
  assert.equal((await attributes)[1], 'attributes');
  const port = h.fabric.ports.get(1)!;
  assert.deepEqual(
    {
      cid: port.cid,
      sid: port.sid,
      linkState: port.linkState,
      peerAttributes: port.peerAttributes,
      nodename: port.nodename,
      cclass: port.cclass,
    },
    {
      cid: 100,
      sid: 27,
      linkState: 'configured',
      peerAttributes: { cclass: 'Debugger', CID0: '100', SID0: '27' },
      nodename: 'z01',
      cclass: 'Debugger',
    },
  );
  assert.equal(port.received, 5);
  await waitFor(() => port.sent === 4, 'four messages from the switch taken');
  await h.done();
});

test('malformed link messages are logged and answered with nothing', async (t) => {
  const h = await start(t);
  const a = await h.peer();
  const warnings: string[] = [];
  let warned = 0;
  h.fabric.on('warning', (w) => {
    warnings.push(w);
    warned++;
  });
  h.fabric.on('debug', (w) => warnings.push(w)); // after the first, a port's warnings are rate-limited to debug lines
  const bad = [
    'Link RFC',
    'Link RFC TTC=5ms',
    'Standalone Acknowledgment Tag=99,Reason=OK',
    'Link CTL NAK nope',
    'Link CTL Bogus',
    'CTL-Write Space=0',
    'frobnicate the widgets',
  ];
  for (const body of bad) await a.send(15, body);
  await a.send(15, 'ping');
  await a.expect(15, 'pong');
  await sleep(20);
  assert.deepEqual(a.received, [], 'nothing but the pong');
  assert.equal(warned, 1, 'one warning a second for the port; the rest at -v');
  for (const [i, pattern] of [
    /without TTC/,
    /microseconds/,
    /unknown tag 99/,
    /NAK nope/,
    /unknown Link CTL/,
    /CTL-Write without a valid PFMCID/,
    /unknown request "frobnicate/,
  ].entries()) {
    assert.ok(
      warnings.some((w) => pattern.test(w)),
      `warning for "${bad[i]}": ${warnings.join(' | ')}`,
    );
  }
  await h.done();
});

test('two peers message each other directly; the switch counts nothing it did not see', async (t) => {
  const h = await start(t);
  const a = await h.peer({ nodename: 'alpha', cclass: 'Debugger' });
  const b = await h.peer({ nodename: 'beta', cclass: 'Debugger' });
  await waitFor(() => a.client.peers.has(b.id), 'A learns of B');
  let seen = 0;
  h.fabric.on('message', () => seen++);
  for (let i = 0; i < 20; i++) {
    await a.send(b.id, `hello ${i}`);
    await b.expect(a.id, `hello ${i}`);
    await b.send(a.id, `back ${i}`);
    await a.expect(b.id, `back ${i}`);
  }
  assert.equal(seen, 0);
  assert.equal(h.fabric.ports.get(a.id)!.received, 0);
  assert.equal(h.fabric.ports.get(b.id)!.received, 0);
  await h.done();
});

test('send() from the switch: resolves when taken; refused to a peer without a live driver; times out when the slot is never handed back', async (t) => {
  const h = await start(t, { replyTimeoutMs: 200 });
  const a = await h.peer();
  await assert.rejects(h.fabric.send(a.id, 'hello'), /no live driver/);
  await assert.rejects(h.fabric.send(9, 'hello'), /no port 9/);
  await a.send(15, 'ping');
  await a.expect(15, 'pong');
  await h.fabric.send(a.id, 'hello from the switch');
  await a.expect(15, 'hello from the switch');
  await assert.rejects(h.fabric.send(a.id, 'x'.repeat(400)), /at most 383 bytes/);
  a.takes = false;
  const warned = nextEvent<[string]>(h.fabric, 'warning');
  await assert.rejects(h.fabric.send(a.id, 'never taken'), /did not take the message within 200 ms/);
  assert.match((await warned)[0], /slot taken back/);
  assert.equal(h.fabric.mailbox.isFree(15), true, 'the switch took its slot back');
  assert.equal(h.fabric.ports.get(a.id)!.live, false);
  await h.done();
});

test("--noPFM greets a peer once it has shown a driver, on the switch's vector; RFC is not answered; --silent takes no part", async (t) => {
  const h = await start(t, { mode: 'unmanaged' });
  const a = await h.peer();
  assert.equal(a.mailbox.nodename(15), 'Z-server');
  await a.send(15, 'ping');
  await a.expect(15, 'pong');
  await a.expect(15, 'Link CTL Peer-Attribute');
  await a.send(15, 'Link CTL Peer-Attribute');
  await a.expect(15, 'Link CTL ACK cclass=FabricSwitch,CID0=0,SID0=0');
  await a.send(15, 'Link RFC TTC=27us');
  await sleep(50);
  assert.deepEqual(a.received, []);
  await h.done();

  const s = await start(t, { mode: 'silent' });
  const c = await s.peer();
  assert.deepEqual([...c.client.peers.keys()], [1], 'the server is no peer');
  assert.equal(c.mailbox.nodename(15), 'Z-server');
  assert.equal(c.layout.nEvents, 16);
  await s.done();
});

test('a full fabric refuses the next peer as famez server does, and nobody else hears of it', async (t) => {
  const h = await start(t, { nClients: 2 });
  const a = await h.peer();
  await h.peer();
  const refused = nextEvent<[unknown, string]>(h.fabric, 'peer-refused');
  await assert.rejects(connect({ path: h.path, timeoutMs: 5000 }), /refused/);
  assert.match((await refused)[1], /full/);
  await sleep(20);
  assert.deepEqual([...a.client.peers.keys()].sort(), [1, 2, 3], 'two clients and the switch (id 3)');
  assert.equal(a.layout.size, 4096, "4 slots of 512 bytes round up to QEMU's 4 KiB minimum");
  await h.done();
});

test('an existing file is a mailbox only when it is one of the same geometry; otherwise refused, untouched', async (t) => {
  const dir = tempDir(t);
  const small = join(dir, 'small');
  writeFileSync(small, Buffer.alloc(4096), { mode: 0o600 });
  const f = createFabric({ socketPath: join(dir, 's1'), mailbox: small });
  await assert.rejects(f.listen(), /it exists and is 4 KiB, not the 8 KiB of 14 clients: .*--overwrite-mailbox/);
  assert.equal(statSync(small).size, 4096);
  const large = join(dir, 'large');
  writeFileSync(large, Buffer.alloc(16384, 0xaa), { mode: 0o600 });
  await assert.rejects(createFabric({ socketPath: join(dir, 's2'), mailbox: large, nClients: 2 }).listen(), /16 KiB/);
  assert.deepEqual(readFileSync(large), Buffer.alloc(16384, 0xaa), 'left as it was');
  const g = createFabric({ socketPath: join(dir, 's2'), mailbox: large, nClients: 2, overwriteMailbox: true });
  await g.listen();
  assert.equal(g.server.memory.size, 4096, 'taken on purpose: reformatted at the size of 2 clients');
  await g.close();
  assert.equal(statSync(large).size, 4096, 'a file it did not make is left behind');
  await assert.rejects(createFabric({ socketPath: join(dir, 's3'), mailbox: dir }).listen(), /not a regular file/);
});
