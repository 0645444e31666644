// A rogue on NATS publishing as fast as it can for SECONDS: heartbeats from
// invented nodes, one claiming every id, fault changes from non-members, and
// junk to node VICTIM of cluster NAME. Run as its own process by the tests.
//   node rogue-flood.js URL NAME VICTIM SECONDS
import { connect } from '@nats-io/transport-node';
import { encodeWire } from '../../src/cluster/wire.js';

const [url, name, victim, seconds] = process.argv.slice(2) as [string, string, string, string];
const nc = await connect({ servers: url });
const everyId = new TextEncoder().encode(
  JSON.stringify({ t: 'state', node: 'all', instance: 'x', peers: Array.from({ length: 65536 }, (_, id) => ({ id })) }),
);
const tryPublish = (subject: string, data: Uint8Array): void => {
  try {
    nc.publish(subject, data);
  } catch {
    // MAX_PAYLOAD_EXCEEDED
  }
};
const end = Date.now() + Number(seconds) * 1000;
let sent = 0;
for (let i = 0; Date.now() < end; i++) {
  const node = `r${i}`;
  nc.publish(
    `famez.${name}.${node}.all`,
    encodeWire({ t: 'state', node, instance: 'x', peers: [{ id: (i % 14) + 1 }] }),
  );
  nc.publish(
    `famez.${name}.${node}.all`,
    encodeWire({ t: 'fault', node, at: Date.now(), changes: [{ kind: 'link', link: `host:${victim}`, up: false }] }),
  );
  nc.publish(`famez.${name}.${node}.to.${victim}`, encodeWire({ t: 'msg', node, from: 1, to: 2, seq: i, text: 'x' }));
  // Over NATS's max_payload: the client refuses it (a server without the limit would pass it on).
  if (i % 100 === 0) tryPublish(`famez.${name}.all.all`, everyId);
  sent += 3;
  if (i % 500 === 0) await nc.flush();
}
await nc.flush();
process.stdout.write(`${JSON.stringify({ sent })}\n`);
await nc.close();
