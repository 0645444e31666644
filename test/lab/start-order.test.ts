// The lab's ports follow its guests' names: each starts once the one before
// has connected, so lab1 gets the lowest id even when it is the slowest to
// reach the socket. Real processes on a real fabric, no guests booted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { JoinWatch, startInOrder } from '../../src/lab/start-order.js';
import { MAIN } from '../cli/cli.js';
import { scratchFabric } from '../fabric/harness.js';

test('ports in name order: lab1, the slowest to connect, still gets the lowest port', {
  timeout: 60_000,
}, async (t) => {
  const fabric = await scratchFabric(t);
  const watch = new JoinWatch();
  fabric.on('port-joined', (port, peer) => peer.credentials && watch.joined(peer.credentials.pid, port.id));
  // Stand-ins for QEMU: lab1 takes longest to reach the socket, lab2 none (started together, lab2 would be port 1).
  const delays = [0.6, 0, 0.3];
  const children: { name: string; pid: number | undefined; exited: Promise<unknown>; kill: () => void }[] = [];
  t.after(() => children.forEach((child) => child.kill()));
  await startInOrder(
    delays.length,
    (i) => {
      const child = spawn('/bin/sh', [
        '-c',
        `sleep ${delays[i - 1]}; exec "$0" "$1" chat -S "$2" -c 'wait peer 99 60'`,
        process.execPath,
        MAIN,
        fabric.socketPath,
      ]);
      const exited = new Promise((resolve) => child.once('close', resolve));
      return { name: `lab${i}`, pid: child.pid, exited, kill: () => child.kill() };
    },
    watch,
    (vm) => children.push(vm),
  );
  assert.deepEqual(
    children.map((child) => [child.name, watch.get(child.pid)]),
    [
      ['lab1', 1],
      ['lab2', 2],
      ['lab3', 3],
    ],
  );
});
