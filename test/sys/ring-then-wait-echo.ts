// Worker for ring-then-wait.test: answers `rounds` rings, each hop one sys.ringThenWaitEventfd().
import { parentPort, workerData } from 'node:worker_threads';
import * as sys from '../../src/sys/index.js';

const { waitFd, ringFd, rounds } = workerData as { waitFd: number; ringFd: number; rounds: number };
let seen = sys.waitEventfd(waitFd, 5000);
while (seen < rounds) seen += sys.ringThenWaitEventfd(ringFd, waitFd, 5000) || Infinity;
sys.ringEventfd(ringFd);
parentPort!.postMessage(seen);
