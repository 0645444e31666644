// A child process holding many raw peers for many-peers.test.ts. Joins them
// one at a time (each drains and closes every fd it receives), so that the
// test process holds only the server's fds.
//   stdin "join <path> <count> <vectors>" -> stdout {"ids":[...],"ms":n}
//   stdin "close"                         -> closes every peer, stdout {"closed":n}
import { createInterface } from 'node:readline';
import { DrainingPeer } from './helpers.js';

const peers: DrainingPeer[] = [];

function reply(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

async function join(path: string, count: number, vectors: number): Promise<void> {
  const started = Date.now();
  for (let i = 0; i < count; i++) {
    const peer = new DrainingPeer(path, { batch: vectors });
    peers.push(peer);
    await peer.established(vectors, 20_000);
  }
  reply({
    ids: peers.map((peer) => peer.id),
    ms: Date.now() - started,
    dropped: peers.filter((peer) => peer.eof).length,
  });
}

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const [command, ...args] = line.trim().split(' ');
  if (command === 'join') {
    join(args[0]!, Number(args[1]), Number(args[2])).catch((error: Error) => reply({ error: error.message }));
  } else if (command === 'close') {
    peers.forEach((peer) => peer.close());
    reply({ closed: peers.length });
    peers.length = 0;
  }
});
lines.on('close', () => process.exit(0));
