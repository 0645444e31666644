// A switched fabric with mailbox peers: messages counted from the sender's
// slot as its doorbell passes (the slot is never taken), peers landing by
// nodename on a two-switch topology, and fault changes told to every
// configured peer by the switch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { topologyFromJson } from '../../src/switching/index.js';
import type { TraceEntry } from '../../src/switching/router.js';
import { waitFor } from '../server/helpers.js';
import type { MailboxPeer } from './mailbox-peer.js';
import { start } from './harness.js';

const TWO_SWITCHES = topologyFromJson({
  switches: ['left', 'right'],
  links: [{ name: 'trunk', between: ['left', 'right'], latencyUs: 200 }],
  peers: [
    { nodename: 'alpha', switch: 'left', port: 1 },
    { nodename: 'beta', switch: 'right', port: 1 },
  ],
});

/** The link exchange that makes a port configured. */
async function configure(peer: MailboxPeer): Promise<void> {
  await peer.send(15, 'Link RFC TTC=27us');
  const write = await peer.expect(15, /^CTL-Write /);
  await peer.send(15, `Standalone Acknowledgment Tag=${/Tag=(\d+)/.exec(write.body)![1]},Reason=OK`);
  await peer.expect(15, 'Link CTL Peer-Attribute');
}

test("switched fabric: peer messages pass the router, counted in messages and bytes from the sender's slot, which the receiver still takes", async (t) => {
  const h = await start(t, { switched: true, topology: TWO_SWITCHES, seed: 1 });
  const a = await h.peer({ nodename: 'alpha', cclass: 'Debugger' });
  const b = await h.peer({ nodename: 'beta', cclass: 'Debugger' });
  await waitFor(() => a.client.peers.size === 3 && b.client.peers.size === 3, 'the peers to know each other');
  const trace: TraceEntry[] = [];
  h.fabric.router!.on('trace', (entry) => trace.push(entry));
  for (let i = 0; i < 10; i++) {
    await a.send(b.id, `hello ${i}`);
    await b.expect(a.id, `hello ${i}`);
  }
  await b.send(a.id, 'back');
  await a.expect(b.id, 'back');
  const counters = h.fabric.router!.counters();
  const bytes = 10 * 'hello 0!EZT=1'.length + 1 + 'back!EZT=1'.length; // !EZT=10 is one byte longer
  assert.deepEqual(counters.get('trunk'), { forwarded: 11, dropped: 0, delayed: 11, messages: 11, bytes });
  assert.deepEqual(
    trace.map((e) => e.text),
    [...Array.from({ length: 10 }, (_, i) => `hello ${i}!EZT=${i + 1}`), 'back!EZT=1'],
  );
  assert.deepEqual(
    trace[0]!.links,
    [`peer:${a.id}`, 'trunk', `peer:${b.id}`],
    'alpha on left, beta on right: across the trunk',
  );
  assert.equal(trace[0]!.delayUs, 200);
  await h.done();
});

test('switched fabric: a fault change is told to every configured peer; a link down stops messages, up lets them through', async (t) => {
  const h = await start(t, { switched: true, topology: TWO_SWITCHES });
  const a = await h.peer({ nodename: 'alpha', cclass: 'Debugger' });
  const b = await h.peer({ nodename: 'beta', cclass: 'Debugger' });
  const c = await h.peer({ nodename: 'gamma', cclass: 'Debugger' }); // not configured: not told
  await configure(a);
  await configure(b);
  const faults: string[] = [];
  h.fabric.on('fault', (_change, text) => faults.push(text));
  h.fabric.applyFault({ kind: 'link', link: 'trunk', up: false });
  await a.expect(15, 'UEP Link-Down Link=trunk');
  await b.expect(15, 'UEP Link-Down Link=trunk');
  await a.send(b.id, 'lost');
  await waitFor(() => h.fabric.router!.counters().get(`peer:${a.id}`)?.dropped === 1, 'the drop counted');
  h.fabric.applyFault({ kind: 'link', link: 'trunk', up: true });
  await a.expect(15, 'UEP Link-Up Link=trunk');
  // The lost message is still in a's slot (nobody took it): ring again.
  a.client.ring(b.id, a.id);
  await b.expect(a.id, 'lost');
  assert.deepEqual(faults, ['link trunk down', 'link trunk up']);
  assert.deepEqual(c.received, [], 'an unconfigured port is not told');
  assert.throws(() => h.fabric.applyFault({ kind: 'link', link: 'nowhere', up: false }), /no link "nowhere"/);
  assert.deepEqual(h.warnings, []);
  await h.done();
});
