// The mailbox cut under a running fabric: by a peer in another process that
// ftruncates the fd it was handed, and from outside with truncate(1). The
// fabric must live (no SIGBUS), say in one line what it found, restore the
// mailbox and go on answering; the peers' own mappings (in-process clients)
// must say 'shrunk' and 'restored' and go on; fds end at the baseline.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { waitFor } from '../server/helpers.js';
import { startProcess, explain } from '../sys/common.js';
import { exchange, hello, retried } from './retry.js';
import { start, type Harness } from './harness.js';
import type { MailboxPeer } from './mailbox-peer.js';

const CLIENT_URL = pathToFileURL(fileURLToPath(new URL('../../src/client/index.js', import.meta.url))).href;

/** Two peers that ping the switch over and over, counting pongs, until stopped. */
function pingers(peers: MailboxPeer[]): { pongs: number[]; stop(): Promise<void> } {
  const pongs = peers.map(() => 0);
  let stopped = false;
  const loops = peers.map(async (peer, i) => {
    while (!stopped) {
      await retried((ms) => exchange(peer, peer.serverId, 'ping', ms), `peer ${peer.id} ping`);
      pongs[i]!++;
    }
  });
  return {
    pongs,
    stop: async () => {
      stopped = true;
      await Promise.all(loops);
    },
  };
}

async function survivesCut(h: Harness, cut: () => Promise<void>): Promise<void> {
  const a = await h.peer({ nodename: 'alpha', cclass: 'Debugger' });
  const b = await h.peer({ nodename: 'beta', cclass: 'Debugger' });
  const memoryEvents: string[] = [];
  a.client.on('memory', (change, size) => memoryEvents.push(`${change} ${size}`));
  await waitFor(() => a.client.peers.has(b.id) && b.client.peers.has(a.id), 'the peers to know each other');
  await hello(a, b, 0, 5000);
  await hello(b, a, 0, 5000);
  const ping = pingers([a, b]);
  await waitFor(() => ping.pongs.every((n) => n >= 2), 'pongs before the cut', 10_000);

  await cut();
  const repaired = await waitFor(
    () => h.warnings.find((line) => line.includes('was cut')),
    'the fabric to repair the mailbox',
    10_000,
  );
  assert.match(repaired, new RegExp(`mailbox ${h.fabric.mailboxPath} was cut to 0 bytes`));
  assert.equal(
    h.warnings.filter((line) => line.includes('was cut')).length,
    1,
    `one line for one cut: ${h.warnings.join(' | ')}`,
  );
  const after = [...ping.pongs];
  await waitFor(
    () => ping.pongs.every((n, i) => n >= after[i]! + 3),
    () => `pongs after the repair (${ping.pongs} from ${after})`,
    20_000,
  );
  await ping.stop();
  await retried((ms) => hello(a, b, 1, ms), 'a to b after the cut');
  await retried((ms) => hello(b, a, 1, ms), 'b to a after the cut');
  // A peer's own mapping breaks only if it touched the memory while it was short.
  await waitFor(
    () => memoryEvents.length === 0 || memoryEvents.at(-1) === `restored ${h.fabric.layout.size}`,
    () => `the client to map the memory back (${memoryEvents})`,
    10_000,
  );
  if (memoryEvents.length > 0) assert.match(memoryEvents[0]!, /^shrunk \d+$/, memoryEvents.join(', '));
  assert.equal(a.client.memory.shrunk, false);
  assert.equal(h.fabric.mailbox.globals().nClients, h.fabric.layout.nClients, 'the globals are back');
  assert.deepEqual(h.errors, []);
  await h.done();
}

test('a peer in another process ftruncates the mailbox to 0 while two peers ping the switch and each other: the fabric repairs it and the pings resume', {
  timeout: 90_000,
}, async (t) => {
  const h = await start(t);
  await survivesCut(h, async () => {
    const script = `
      import { connect } from ${JSON.stringify(CLIENT_URL)};
      import * as sys from ${JSON.stringify(CLIENT_URL.replace('/client/index.js', '/sys/index.js'))};
      const client = await connect({ path: ${JSON.stringify(h.path)}, timeoutMs: 5000 });
      sys.truncate(client.memory.fd, 0);
      console.log('cut by peer', client.id);
      client.close();
    `;
    const child = startProcess(process.execPath, ['--input-type=module', '-e', script], 15_000);
    const result = await child.result;
    assert.equal(result.code, 0, explain(result));
    assert.match(result.stdout, /cut by peer 3/);
  });
});

test('the mailbox cut from outside with truncate -s 0: the fabric repairs it and the pings resume', {
  timeout: 90_000,
}, async (t) => {
  const h = await start(t);
  await survivesCut(h, async () => {
    const result = spawnSync('truncate', ['-s', '0', h.fabric.mailboxPath!], { timeout: 10_000 });
    assert.equal(result.status, 0, String(result.stderr));
  });
});
