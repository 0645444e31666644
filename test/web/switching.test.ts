// Switched doorbells on the web, over real HTTP with a switched fabric and
// mailbox peers: switches and links in the topology with counters and
// faults, per-link metrics, fault changes and sampled traces on the event
// stream, and the fault write API with its refusals.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { Router, topologyFromJson } from '../../src/switching/index.js';
import { routerSwitching, type SourceEvent, type TopologyLink } from '../../src/web/index.js';
import { waitFor } from '../helpers/fds.js';
import { EventClient } from './event-client.js';
import { parsePrometheus, startWeb, TOKEN } from './web-harness.js';

const TWO_SWITCHES = topologyFromJson({
  switches: ['left', 'right'],
  links: [{ name: 'trunk', between: ['left', 'right'], latencyUs: 200 }],
  peers: [
    { nodename: 'alpha', switch: 'left', port: 1 },
    { nodename: 'beta', switch: 'right', port: 1 },
  ],
});
const SWITCHED = { switched: true, topology: TWO_SWITCHES, seed: 1 };
const AUTH = { Authorization: `Bearer ${TOKEN}` };

test('a switched fabric: switches and links with counters in the topology, per-link metrics, faults changed over HTTP and streamed', async (t) => {
  const h = await startWeb(t, { token: TOKEN }, SWITCHED);
  const stream = await EventClient.open(h.url, AUTH);
  t.after(() => stream.close());
  const a = await h.peer({ nodename: 'alpha', cclass: 'Debugger' });
  const b = await h.peer({ nodename: 'beta', cclass: 'Debugger' });
  await waitFor(() => a.client.peers.size === 3 && b.client.peers.size === 3, 'the peers to know each other');
  for (let i = 0; i < 5; i++) {
    await a.send(b.id, `hello ${i}`);
    await b.expect(a.id, `hello ${i}`);
  }
  const server = (await (await h.get('/api/v1/server')).json()) as { switched: boolean; write: boolean };
  assert.deepEqual({ switched: server.switched, write: server.write }, { switched: true, write: true });

  const bytes = 5 * 'hello 0!EZT=1'.length;
  const trunk = { forwarded: 5, dropped: 0, delayed: 5, messages: 5, bytes };
  const topology = (await (await h.get('/api/v1/topology')).json()) as {
    nodes: Array<{ id: string; kind: string }>;
    links: TopologyLink[];
  };
  assert.deepEqual(
    topology.nodes.filter((node) => node.id.startsWith('switch:')),
    [
      { id: 'switch:left', kind: 'switch', name: 'left' },
      { id: 'switch:right', kind: 'switch', name: 'right' },
    ],
  );
  assert.deepEqual(
    topology.links.find((link) => link.name === 'trunk'),
    {
      source: 'switch:left',
      target: 'switch:right',
      kind: 'switch-link',
      name: 'trunk',
      state: 'up',
      latencyUs: 200,
      faults: {},
      counters: trunk,
    },
  );
  assert.deepEqual(
    topology.links.find((link) => link.name === `peer:${b.id}`),
    {
      source: `peer-${b.id}`,
      target: 'switch:right',
      kind: 'peer-link',
      name: `peer:${b.id}`,
      state: 'up',
      latencyUs: 0,
      faults: {},
      counters: trunk,
    },
  );
  const trace = await stream.expect('trace', (data) => data.from === a.id && data.to === b.id);
  assert.deepEqual(
    { text: trace.data.text, links: trace.data.links, outcome: trace.data.outcome, delayUs: trace.data.delayUs },
    { text: 'hello 0!EZT=1', links: [`peer:${a.id}`, 'trunk', `peer:${b.id}`], outcome: 'delayed', delayUs: 200 },
  );

  // The trunk goes down from the web: the change is streamed, a message across it is lost and counted.
  const down = await h.post('/api/v1/faults', JSON.stringify({ action: 'down', link: 'trunk' }), AUTH);
  assert.equal(down.status, 200);
  assert.deepEqual(await down.json(), {
    applied: 'link trunk down',
    change: { kind: 'link', link: 'trunk', up: false },
    faults: [{ link: 'trunk', down: true }],
    changes: 1,
  });
  const fault = await stream.expect('fault');
  assert.deepEqual(fault.data.change, { kind: 'link', link: 'trunk', up: false });
  assert.equal(fault.data.text, 'link trunk down');
  await a.send(b.id, 'lost');
  await stream.expect('trace', (data) => data.outcome === 'dropped');
  const after = (await (await h.get('/api/v1/topology')).json()) as { links: TopologyLink[] };
  const downTrunk = after.links.find((link) => link.name === 'trunk')!;
  assert.deepEqual({ state: downTrunk.state, faults: downTrunk.faults }, { state: 'down', faults: { down: true } });
  assert.equal(
    after.links.find((link) => link.name === `peer:${a.id}`)!.counters!.dropped,
    1,
    "no path: lost on the sender's own link",
  );

  const { types, samples } = parsePrometheus(await (await h.get('/metrics')).text());
  const sample = (name: string, link: string) => samples.find((s) => s.name === name && s.labels.link === link)?.value;
  assert.equal(types.get('famez_link_doorbells_forwarded_total'), 'counter');
  assert.deepEqual(
    ['forwarded', 'dropped', 'delayed'].map((what) => sample(`famez_link_doorbells_${what}_total`, 'trunk')),
    [5, 0, 5],
  );
  assert.equal(sample('famez_link_doorbells_dropped_total', `peer:${a.id}`), 1);
  assert.equal(sample('famez_link_messages_total', 'trunk'), 5);
  assert.equal(sample('famez_link_bytes_total', 'trunk'), bytes);
  assert.equal(sample('famez_link_up', 'trunk'), 0);
  assert.equal(sample('famez_link_up', `peer:${b.id}`), 1);
  assert.equal(samples.find((s) => s.name === 'famez_fault_changes_total')?.value, 1);

  // Isolate a peer, add latency and a drop probability in the console's words, then clear.
  assert.equal((await h.post('/api/v1/faults', JSON.stringify({ action: 'isolate', peer: b.id }), AUTH)).status, 200);
  assert.equal(
    (await h.post('/api/v1/faults', JSON.stringify({ action: 'latency', link: 'trunk', us: 500 }), AUTH)).status,
    200,
  );
  assert.equal((await h.post('/api/v1/faults', JSON.stringify({ command: 'drop trunk 0.25' }), AUTH)).status, 200);
  assert.equal(
    (await h.post('/api/v1/faults', JSON.stringify({ action: 'rate', link: `peer:${a.id}`, perSecond: 1000 }), AUTH))
      .status,
    200,
  );
  assert.deepEqual(await (await h.get('/api/v1/faults')).json(), {
    faults: [
      { link: `peer:${a.id}`, rate: { perSecond: 1000, burst: 100 } },
      { link: `peer:${b.id}`, down: true },
      { link: 'trunk', down: true, addedUs: 500, dropProbability: 0.25 },
    ],
    changes: 5,
  });
  assert.equal((await h.post('/api/v1/faults', JSON.stringify({ action: 'clear' }), AUTH)).status, 200);
  assert.deepEqual(await (await h.get('/api/v1/faults')).json(), { faults: [], changes: 6 });
  await h.done();
});

test('the fault API refuses without the token, names the field of a bad change, and is a 409 when doorbells are not switched', async (t) => {
  const h = await startWeb(t, { token: TOKEN }, SWITCHED);
  const post = (body: unknown, headers = AUTH) => h.post('/api/v1/faults', JSON.stringify(body), headers);
  assert.equal((await post({ action: 'down', link: 'trunk' }, {} as typeof AUTH)).status, 401);
  const refusals: Array<[unknown, RegExp]> = [
    [[1, 2], /JSON object/],
    [{ action: 'explode' }, /"action" must be one of down, up, isolate/],
    [{ action: 'down' }, /"link" must be a link's name.*missing/],
    [{ action: 'isolate', peer: 'b' }, /"peer" must be a peer id/],
    [{ action: 'latency', link: 'trunk', us: 'slow' }, /"us" must be microseconds/],
    [{ action: 'latency', link: 'trunk', us: -5 }, /"us": added latency is 0 to 10000000 us, not -5/],
    [{ action: 'drop', link: 'trunk', probability: 2 }, /"probability": a drop probability is from 0 to 1, not 2/],
    [{ action: 'rate', link: 'trunk', perSecond: 10, burst: 0.5 }, /"burst": a burst is a whole number/],
    [{ action: 'down', link: 'nowhere' }, /"link": no link "nowhere": the links are trunk, peer:ID/],
    [{ command: 'link sideways trunk' }, /"command": usage: link down\|up LINK/],
    [{ command: 'reboot' }, /"command": "reboot" is no fault command/],
    // Peer links exist for the fabric's peer ids only (1 to 14 here).
    [
      { action: 'down', link: 'peer:99999' },
      /"link": no link "peer:99999": the links are trunk, peer:ID \(ID 1 to 14\)/,
    ],
    [{ action: 'down', link: 'peer:15' }, /no link "peer:15"/],
    [{ action: 'down', link: 'peer:0' }, /no link "peer:0"/],
    [{ command: 'latency peer:-1 5' }, /no link "peer:-1"/],
    [{ action: 'isolate', peer: 20 }, /no link "peer:20"/],
  ];
  for (const [body, message] of refusals) {
    const res = await post(body);
    assert.equal(res.status, 400, JSON.stringify(body));
    assert.match(((await res.json()) as { error: string }).error, message);
  }
  assert.deepEqual(await (await h.get('/api/v1/faults')).json(), { faults: [], changes: 0 }, 'nothing was applied');
  // A peer link's name is taken in any spelling of its id, and kept canonical.
  const canonical = await post({ action: 'down', link: 'peer:00001' });
  assert.equal(canonical.status, 200);
  assert.equal(((await canonical.json()) as { applied: string }).applied, 'link peer:1 down');
  assert.deepEqual(h.fabric.router!.faults(), [['peer:1', { down: true }]]);
  assert.equal((await post({ command: 'link up peer:01' })).status, 200);
  assert.deepEqual(h.fabric.router!.faults(), [], 'peer:01 is the same link');
  await h.done();

  const plain = await startWeb(t, { token: TOKEN });
  for (const res of [
    await plain.get('/api/v1/faults'),
    await plain.post('/api/v1/faults', JSON.stringify({ action: 'down', link: 'trunk' }), AUTH),
  ]) {
    assert.equal(res.status, 409);
    assert.match(((await res.json()) as { error: string }).error, /not switched: start famez with --switched/);
  }
  assert.equal(((await (await plain.get('/api/v1/server')).json()) as { switched: boolean }).switched, false);
  await plain.done();
});

test('the stream carries at most N doorbell traces a second, and nobody listens to the router between budgets', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const router = new Router();
  const events: SourceEvent[] = [];
  const stop = routerSwitching(router, { tracesPerSecond: 3 }).subscribe((event) => events.push(event));
  const ring = (): void => {
    router.forward({ from: 1, to: 2, vector: 0, count: 1 });
  };
  for (let i = 0; i < 1000; i++) ring();
  assert.equal(events.length, 3);
  assert.equal(router.listenerCount('trace'), 0, 'the budget spent, the router builds no trace entries');
  t.mock.timers.tick(1000);
  assert.equal(router.listenerCount('trace'), 1);
  for (let i = 0; i < 1000; i++) ring();
  assert.equal(events.length, 6);
  assert.deepEqual(events[0], {
    type: 'trace',
    from: 1,
    to: 2,
    vector: 0,
    count: 1,
    passed: 1,
    outcome: 'forwarded',
    delayUs: 0,
    links: ['peer:1', 'peer:2'],
    reason: undefined,
    text: undefined,
  });
  router.apply({ kind: 'link', link: 'peer:2', up: false });
  assert.deepEqual(events.at(-1), {
    type: 'fault',
    change: { kind: 'link', link: 'peer:2', up: false },
    text: 'link peer:2 down',
  });
  stop();
  assert.deepEqual([router.listenerCount('trace'), router.listenerCount('fault')], [0, 0]);
});
