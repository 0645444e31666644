// The read API over real HTTP against a real fabric with mailbox peers.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { EventClient } from './event-client.js';
import { startWeb, TOKEN } from './web-harness.js';

const AUTH = { Authorization: `Bearer ${TOKEN}` };

test('GET /api/v1/server, /peers, /topology and /system describe the fabric', async (t) => {
  const h = await startWeb(t);
  const peer = await h.peer({ nodename: 'z01', cclass: 'Debugger' });
  await peer.send(peer.serverId, 'ping');
  await peer.expect(peer.serverId, 'pong');

  const server = await (await h.get('/api/v1/server')).json();
  assert.equal(server.kind, 'fabric');
  assert.equal(server.socketPath, h.path);
  assert.deepEqual(server.memory, {
    kind: 'file',
    size: 8192,
    description: `file ${h.fabric.mailboxPath}`,
    path: h.fabric.mailboxPath,
  });
  assert.equal(server.vectors, 16);
  assert.equal(server.peers, 1);
  assert.equal(server.write, false);
  assert.equal(server.options.mode, 'managing');

  const { peers } = await (await h.get('/api/v1/peers')).json();
  assert.deepEqual(
    peers.map((p: { id: number }) => p.id),
    [1, 15],
  );
  const [one, sw] = peers;
  assert.equal(one.vectors, 16);
  assert.equal(one.credentials.pid, process.pid);
  assert.equal(one.credentials.uid, process.getuid!());
  assert.ok(!Number.isNaN(Date.parse(one.joinedAt)));
  assert.deepEqual(
    {
      nodename: one.nodename,
      cclass: one.cclass,
      cid: one.cid,
      sid: one.sid,
      linkState: one.linkState,
      received: one.received,
      sent: one.sent,
      builtIn: one.builtIn,
    },
    { nodename: 'z01', cclass: 'Debugger', cid: 0, sid: 0, linkState: 'up', received: 1, sent: 1, builtIn: false },
  );
  assert.deepEqual(
    { nodename: sw.nodename, cid: sw.cid, sid: sw.sid, builtIn: sw.builtIn },
    { nodename: 'Z-switch', cid: 1500, sid: 27, builtIn: true },
  );

  const topology = await (await h.get('/api/v1/topology')).json();
  assert.deepEqual(
    { directed: topology.directed, multigraph: topology.multigraph, kind: topology.graph.kind },
    { directed: false, multigraph: false, kind: 'fabric' },
  );
  assert.deepEqual(
    topology.nodes.map((n: { id: string; kind: string }) => [n.id, n.kind]),
    [
      ['switch-15', 'switch'],
      ['peer-1', 'peer'],
    ],
  );
  assert.deepEqual(topology.links, [{ source: 'peer-1', target: 'switch-15', kind: 'port', state: 'up' }]);

  const system = await h.get('/system');
  assert.equal(system.headers.get('access-control-allow-origin'), '*');
  assert.deepEqual(await system.json(), {
    nClients: 14,
    server_ivshmsg_id: 15,
    nodes: [
      { ivshmsg_id: 1, id: 'z01', cclass: 'Debugger', hardware: 'debugger', group: 'port_1' },
      { ivshmsg_id: 15, id: 'Z-switch', cclass: 'FabricSwitch', hardware: 'switch', group: 'port_15' },
    ],
    links: [{ source: 'z01', target: 'Z-switch' }],
  });
  await h.done();
});

test('the event stream delivers joins, messages (with the token), link changes and leaves', async (t) => {
  const h = await startWeb(t, { token: TOKEN });
  const stream = await EventClient.open(h.url, AUTH);
  assert.match(stream.response.headers['content-type'] ?? '', /^text\/event-stream/);
  const peer = await h.peer({ nodename: 'z01', cclass: 'Debugger' });
  const joined = await stream.expect('peer-joined', (data) => (data.peer as { id: number }).id === peer.id);
  assert.equal((joined.data.peer as { vectors: number }).vectors, 16);
  assert.ok(typeof joined.data.at === 'string');

  await peer.send(peer.serverId, 'Link RFC TTC=27us');
  const write = await peer.expect(peer.serverId, /^CTL-Write /);
  const tag = /Tag=(\d+)/.exec(write.body)![1];
  await peer.send(peer.serverId, `Standalone Acknowledgment Tag=${tag},Reason=OK`);
  const message = await stream.expect('message', (data) => data.body === 'Link RFC TTC=27us');
  assert.deepEqual(
    { from: message.data.from, to: message.data.to, nodename: message.data.nodename },
    { from: peer.id, to: 15, nodename: 'z01' },
  );
  await stream.expect('sent', (data) => data.to === peer.id && String(data.text).startsWith('CTL-Write'));
  const link = await stream.expect('link', (data) => data.change === 'configured');
  assert.deepEqual((link.data.peer as { cid: number; linkState: string }).cid, peer.id * 100);

  peer.client.close();
  const left = await stream.expect('peer-left', (data) => data.id === peer.id);
  assert.equal(left.data.nodename, 'z01');
  const ids = stream.events.map((event) => Number(event.id));
  assert.deepEqual(
    ids,
    [...ids].sort((a, b) => a - b),
    'event ids rise',
  );
  await stream.close();
  await h.done();
});

test('a client that reconnects with Last-Event-ID gets the events it missed', async (t) => {
  const h = await startWeb(t, { token: TOKEN });
  const first = await EventClient.open(h.url, AUTH);
  const peer = await h.peer();
  const joined = await first.expect('peer-joined');
  await first.close();
  await peer.send(peer.serverId, 'ping');
  await peer.expect(peer.serverId, 'pong');
  const again = await EventClient.open(h.url, { ...AUTH, 'Last-Event-ID': joined.id! });
  await again.expect('message', (data) => data.body === 'ping');
  assert.ok(!again.events.some((event) => event.type === 'peer-joined'), 'nothing from before the id');
  await again.close();
  await h.done();
});
