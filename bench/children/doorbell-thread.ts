// Worker thread for doorbell-peer's thread roles: blocks in sys.waitEventfd()
// on our taken vector and rings the peer straight back (pong), or times round
// trips (ping). The event loop of the process is not on this path, and each
// hop is one call into the addon (sys.ringThenWaitEventfd: ring, then wait).
import { hrtime } from 'node:process';
import { parentPort, workerData } from 'node:worker_threads';
import * as sys from '../../src/sys/index.js';

const { role, waitFd, ringFd, rounds, warmup } = workerData as {
  role: 'ping' | 'pong';
  waitFd: number;
  ringFd: number;
  rounds: number;
  warmup: number;
};
if (role === 'pong') {
  sys.waitEventfd(waitFd);
  for (;;) sys.ringThenWaitEventfd(ringFd, waitFd);
}
const samples = new Float64Array(rounds);
for (let i = 0; i < rounds + warmup; i++) {
  const sent = hrtime.bigint();
  sys.ringThenWaitEventfd(ringFd, waitFd);
  if (i >= warmup) samples[i - warmup] = Number(hrtime.bigint() - sent);
}
parentPort!.postMessage(samples);
