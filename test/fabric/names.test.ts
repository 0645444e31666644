// The switch logs and lists a port by the names in its slot. A peer clears its
// names as it leaves, which may be before the switch reads its last message:
// the Standalone Acknowledgment that configures its link was then logged as
// "port 1 () configured". A cleared slot now leaves the port's names alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectFabric } from '../../src/fabric/index.js';
import type { Port } from '../../src/fabric/switch.js';
import { waitFor } from '../helpers/fds.js';
import { start } from './harness.js';

test('a peer that leaves right after acknowledging its link: the port is configured under its own names', {
  timeout: 20_000,
}, async (t) => {
  const h = await start(t);
  const configured: Port[] = [];
  h.fabric.on('link', (port, change) => {
    if (change === 'configured') configured.push({ ...port });
  });
  const peer = await connectFabric({ path: h.path });
  peer.on('message', ({ body }) => {
    // The peer answers a CTL-Write with its Standalone Acknowledgment once this
    // handler returns; it leaves (clearing its names) before the switch can read it.
    if (body.startsWith('CTL-Write')) queueMicrotask(() => peer.close());
  });
  await peer.send(peer.serverId, 'Link RFC TTC=27us');
  await waitFor(() => configured.length === 1, 'the link configured');
  assert.equal(configured[0]!.nodename, 'z01');
  assert.equal(configured[0]!.cclass, 'Debugger');
  await h.done();
});
