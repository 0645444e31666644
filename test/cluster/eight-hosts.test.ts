// Scale, as deployed: eight `famez fabric --cluster` processes with FAME-Z's
// default of 14 ids and C peers on each. Spares never cost a peer its place:
// 14 peers join (hosts give up spares to the ones short of an id), the 15th
// is refused with how the ids are held; the page's topology of any one host
// shows all eight hosts and every peer.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { compileC } from '../../bench/lib.js';
import { LineProcess } from '../helpers/line-process.js';
import { fabricProcess } from './processes.js';
import { tempDir, waitFor } from '../server/helpers.js';
import { freePort, NatsServer, natsMissing } from './nats-server.js';

const HOSTS = 8;

interface Topology {
  nodes: { id: string }[];
}

const fabric = (t: TestContext, dir: string, node: string, url: string, http?: number): LineProcess =>
  fabricProcess(t, dir, 'eight', node, url, http === undefined ? [] : ['--http', `127.0.0.1:${http}`]);

test('eight hosts, 14 ids: 14 peers join wherever they come, the 15th is refused saying how the ids are held; one host’s topology shows all', {
  timeout: 300_000,
  skip: natsMissing,
}, async (t) => {
  const peer = compileC('mailbox-peer');
  const nats = await NatsServer.start(t);
  const dir = tempDir(t);
  const port = await freePort();
  const names = Array.from({ length: HOSTS }, (_, i) => `h${i + 1}`);
  const hosts = names.map((node, i) => fabric(t, dir, node, nats.url, i === 0 ? port : undefined));
  for (const [i, host] of hosts.entries()) await host.line(new RegExp(`node ${names[i]} of cluster eight`), 30_000);
  for (const other of names.slice(1)) await hosts[0]!.line(new RegExp(`host ${other} joined the fabric`), 30_000);

  // Two peers on every host but the last, which gets none: 14 in all; each joins.
  const ids: number[] = [];
  for (const [i, node] of names.entries()) {
    for (let k = 0; k < (i === HOSTS - 1 ? 0 : 2); k++) {
      const ponger = new LineProcess(t, `peer on ${node}`, peer, [join(dir, `${node}.sock`), 'pong']);
      ids.push(Number((await ponger.line(/^ready \d+/, 20_000)).split(' ')[1]));
    }
  }
  assert.equal(ids.length, 14);
  assert.deepEqual(
    [...ids].sort((a, b) => a - b),
    Array.from({ length: 14 }, (_, i) => i + 1),
  );
  // The 15th, on the host with none: every id is a peer's.
  const refused = new LineProcess(t, 'the 15th peer', peer, [join(dir, `${names[HOSTS - 1]}.sock`), 'pong']);
  await refused.exit(20_000);
  const refusal = await hosts[HOSTS - 1]!.line(/peer refused/, 20_000);
  assert.match(refusal, /no cluster id free: ids 1 to 14 of cluster eight are held, 14 by peers and 0 as spares/);

  // One host's page: all eight hosts as switches, every peer.
  await waitFor(
    async () => {
      const graph = (await (await fetch(`http://127.0.0.1:${port}/api/v1/topology`)).json()) as Topology;
      const shown = new Set(graph.nodes.map((n) => n.id));
      return names.every((n) => shown.has(`switch:${n}`)) && ids.every((id) => shown.has(`peer-${id}`));
    },
    'the topology of h1 to show all eight hosts and all fourteen peers',
    20_000,
  );
});
