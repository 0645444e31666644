// Worker for doorbell-thread.test: waits on one eventfd, rings another, `rounds` times.
import { parentPort, workerData } from 'node:worker_threads';
import * as sys from '../../src/sys/index.js';

const { waitFd, ringFd, rounds } = workerData as { waitFd: number; ringFd: number; rounds: number };
let seen = 0;
while (seen < rounds) {
  seen += sys.waitEventfd(waitFd, 5000) || Infinity;
  sys.ringEventfd(ringFd);
}
parentPort!.postMessage(seen);
