// One famez client (connect()) in its own process, for the doorbell benches.
// Usage: doorbell-peer.js ROLE SOCKET
//   pong   rings back whoever rang it (vector 0)
//   ping   on {start, peer, rounds, warmup}: rounds trips to `peer`, then {result}
//   sink   counts doorbells; on {report}: {counts}
//   source on {start, peer, ms}: rings `peer` as fast as it can for ms, then {result}
//   thread-pong, thread-ping  as pong and ping, from a worker thread blocked in
//          sys.waitEventfd() on our vector 0 (client.takeDoorbell), not the event loop
// The parent talks to it over IPC; {exit} (or the parent going away) ends it.
import { hrtime } from 'node:process';
import { Worker } from 'node:worker_threads';
import { connect } from '../../src/index.js';
import { childSetup, summarize, tell, type Message } from '../lib.js';

childSetup();
const [role, path] = process.argv.slice(2);
if (!role || !path) throw new Error('usage: doorbell-peer.js ping|pong|sink|source SOCKET');
const client = await connect({ path, timeoutMs: 30_000 });

let target = -1;
client.on('peer', (peer) => {
  target = peer;
  tell({ type: 'peer', id: peer });
});

let rings = 0;
let wakeups = 0;
if (role === 'pong') {
  client.on('doorbell', () => client.ring(target, 0));
} else if (role === 'sink') {
  client.on('doorbell', ({ count }) => {
    rings += count;
    wakeups++;
  });
}

process.on('message', (message: Message) => {
  switch (message.type) {
    case 'start':
      if (role.startsWith('thread-'))
        thread(
          role === 'thread-ping' ? 'ping' : 'pong',
          message.peer as number,
          message.rounds as number,
          message.warmup as number,
        );
      else if (role === 'ping') ping(message.peer as number, message.rounds as number, message.warmup as number);
      else if (role === 'source') source(message.peer as number, message.ms as number);
      return;
    case 'report':
      tell({ type: 'counts', rings, wakeups });
      return;
    case 'exit':
      client.close();
      process.exit(0);
  }
});
tell({ type: 'ready', id: client.id });

/** Round trips: ring the peer, wait for its ring back. The first `warmup` are not kept. */
function ping(peer: number, rounds: number, warmup: number): void {
  const samples = new Float64Array(rounds);
  let done = 0;
  let sent = 0n;
  client.on('doorbell', () => {
    const now = hrtime.bigint();
    if (done >= warmup) samples[done - warmup] = Number(now - sent);
    if (++done === rounds + warmup) {
      const summary = summarize(samples);
      tell({ type: 'result', ...summary });
      return;
    }
    sent = hrtime.bigint();
    client.ring(peer, 0);
  });
  sent = hrtime.bigint();
  client.ring(peer, 0);
}

const THREAD = new URL('./doorbell-thread.js', import.meta.url);

/** Hands vector 0 to a worker thread that pongs, or pings and reports round trips. */
function thread(kind: 'ping' | 'pong', peer: number, rounds = 0, warmup = 0): void {
  const worker = new Worker(THREAD, {
    workerData: { role: kind, waitFd: client.takeDoorbell(0), ringFd: client.doorbellFds(peer)[0], rounds, warmup },
  });
  worker.unref();
  if (kind === 'ping')
    worker.once('message', (samples: Float64Array) => tell({ type: 'result', ...summarize(samples) }));
}

/** Rings as fast as the library lets us, checking the clock every 256 rings. */
function source(peer: number, ms: number): void {
  const begin = hrtime.bigint();
  const end = begin + BigInt(Math.round(ms * 1e6));
  let sent = 0;
  let now = begin;
  while (now < end) {
    for (let i = 0; i < 256; i++) client.ring(peer, 0);
    sent += 256;
    now = hrtime.bigint();
  }
  tell({ type: 'result', sent, seconds: Number(now - begin) / 1e9 });
}
