// The message path of `famez fabric` (issue: the switch near the C floor):
//   - mailbox ping -> pong round trips of a C peer (bench/mailbox-peer.c) with the
//     famez switch, beside the same C peer with a C peer answering through the
//     mailbox (the floor), all on CPU 0, in the same run;
//   - messages/s through the switch with 1, 4 and 14 C peers pinging at once,
//     against the C switch (senders.ts);
//   - the idle fabric with 14 silent peers: its CPU time and wake-ups.
import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { cpuNs, sleep, spread, stopped, type Spread } from './lib.js';
import { compile, cPeer, fabric, medianTrip, PIN, pingRun, type MessagePlan, type RoundTrip } from './mailbox-run.js';
import { sendersRows, type SendersResults } from './senders.js';

export interface MessageResults {
  roundTrip: {
    affinity: string;
    switch: RoundTrip;
    floor: RoundTrip;
    ratio: Spread;
    ratioMedian: number;
    reps: Array<{ switch: RoundTrip; floor: RoundTrip }>;
  };
  senders: SendersResults;
  idle: { peers: number; seconds: number; cpuNs: number; wakeups: number; wakeupsByThread: Record<string, number> };
}

/** Context switches into each thread of `pid` (the third field of its schedstat), by thread name. */
function wakeups(pid: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      const name = readFileSync(`/proc/${pid}/task/${task}/comm`, 'utf8').trim();
      out[name] =
        (out[name] ?? 0) + Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').trim().split(' ')[2]);
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

export async function messagePath(
  tmp: string,
  plan: MessagePlan,
  log: (text: string) => void,
): Promise<MessageResults> {
  const binary = compile();

  // Round trips: the switch and the floor side by side, everything on CPU 0.
  const pinned = await fabric(tmp, 'messages-rtt', PIN);
  const reps: Array<{ switch: RoundTrip; floor: RoundTrip }> = [];
  try {
    const pong = await cPeer(binary, pinned.socket, PIN);
    try {
      for (let rep = 0; rep < plan.reps; rep++) {
        // Alternating which goes first.
        const first = await pingRun(binary, pinned.socket, rep % 2 === 0 ? 15 : pong.id, plan);
        const second = await pingRun(binary, pinned.socket, rep % 2 === 0 ? pong.id : 15, plan);
        const [viaSwitch, floor] = rep % 2 === 0 ? [first, second] : [second, first];
        reps.push({ switch: viaSwitch, floor });
        log(
          `mailbox ping -> pong on CPU 0 #${rep + 1}: famez switch ${viaSwitch.medianUs.toFixed(1)} us, C peer ${floor.medianUs.toFixed(1)} us (median)`,
        );
      }
    } finally {
      pong.child.kill('SIGKILL');
      await stopped(pong.child);
    }
  } finally {
    await pinned.stop();
  }
  const pick = (side: 'switch' | 'floor'): RoundTrip => medianTrip(reps.map((r) => r[side]));
  const ratio = spread(reps.map((r) => r.switch.medianUs / r.floor.medianUs));
  const roundTrip = {
    affinity: 'the fabric and both C peers on CPU 0 (taskset -c 0)',
    switch: pick('switch'),
    floor: pick('floor'),
    ratio,
    ratioMedian: ratio.median,
    reps,
  };

  const senders = await sendersRows(tmp, plan, log, binary);

  // The idle fabric: 14 silent peers, nothing sent.
  const quiet = await fabric(tmp, 'messages-idle');
  const silent: ChildProcess[] = [];
  try {
    for (let i = 0; i < 14; i++) silent.push((await cPeer(binary, quiet.socket)).child);
    await sleep(1000);
    const cpuBefore = cpuNs(quiet.pid);
    const before = wakeups(quiet.pid);
    await sleep(plan.idleSeconds * 1000);
    const after = wakeups(quiet.pid);
    const byThread = Object.fromEntries(
      Object.entries(after)
        .map(([name, n]) => [name, n - (before[name] ?? 0)] as const)
        .filter(([, n]) => n > 0),
    );
    const idle = {
      peers: 14,
      seconds: plan.idleSeconds,
      cpuNs: cpuNs(quiet.pid) - cpuBefore,
      wakeups: Object.values(byThread).reduce((sum, n) => sum + n, 0),
      wakeupsByThread: byThread,
    };
    log(
      `idle fabric, 14 silent peers, ${plan.idleSeconds} s: ${(idle.cpuNs / 1e6).toFixed(2)} ms CPU, ${idle.wakeups} wake-ups ${JSON.stringify(byThread)}`,
    );
    return { roundTrip, senders, idle };
  } finally {
    for (const child of silent) child.kill('SIGKILL');
    await Promise.all(silent.map((child) => stopped(child)));
    await quiet.stop();
  }
}
