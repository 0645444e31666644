// Worker thread for doorbell-peer's thread roles: blocks in sys.waitEventfd()
// on our taken vector and rings the peer straight back (pong), or times round
// trips (ping). The event loop of the process is not on this path.
import { hrtime } from 'node:process';
import { parentPort, workerData } from 'node:worker_threads';
import * as sys from '../../src/sys/index.js';

const { role, waitFd, ringFd, rounds, warmup } = workerData as { role: 'ping' | 'pong'; waitFd: number; ringFd: number; rounds: number; warmup: number };
if (role === 'pong') {
  for (;;) {
    sys.waitEventfd(waitFd);
    sys.ringEventfd(ringFd);
  }
}
const samples = new Float64Array(rounds);
for (let i = 0; i < rounds + warmup; i++) {
  const sent = hrtime.bigint();
  sys.ringEventfd(ringFd);
  sys.waitEventfd(waitFd);
  if (i >= warmup) samples[i - warmup] = Number(hrtime.bigint() - sent);
}
parentPort!.postMessage(samples);
