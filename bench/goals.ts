// The goals each section's results are held against (GOALS in plan.ts).
import type { ClusterResults } from './cluster.js';
import type { FamezRefResults } from './famez-ref.js';
import type { idle } from './idle.js';
import type { JoinResult } from './join.js';
import type { latency } from './latency.js';
import type { MessageResults } from './messages.js';
import { formatSpread, type Spread } from './lib.js';
import { GOALS, JOIN_VECTORS } from './plan.js';
import type { switchedCost } from './switched.js';
import type { throughput } from './throughput.js';
import type { WebCostResults } from './web.js';

export type Results = {
  latency?: Awaited<ReturnType<typeof latency>>;
  throughput?: Awaited<ReturnType<typeof throughput>>;
  switched?: Awaited<ReturnType<typeof switchedCost>>;
  messages?: MessageResults;
  web?: WebCostResults;
  famezRef?: FamezRefResults;
  join?: JoinResult[];
  idle?: Awaited<ReturnType<typeof idle>>;
  cluster?: ClusterResults;
};

/** A ratio goal's value: the median of per-round ratios, with their min and max. */
function fromSpread(s: Spread): { value: number; spread: string } {
  return { value: round(s.median, 3), spread: `${round(s.min, 3)}-${round(s.max, 3)} over ${s.rounds.length} rounds` };
}

export function goals(r: Results) {
  const out: Array<{
    goal: string;
    target: string;
    value: number | null;
    spread?: string;
    met: boolean | null;
    note?: string;
  }> = [];
  if (r.latency) {
    const l = r.latency.pinned;
    // Absent from results written before it was measured (--redraw of an older latest.json).
    const vsNode = l.ratios.famezNodeSys as Spread | undefined;
    out.push({
      goal: "event-loop round trip on one CPU: famez clients' median / Node + src/sys only (nodeSys) median, per round",
      target: `<= ${GOALS.nodeSysRatio}`,
      ...(vsNode ? fromSpread(vsNode) : { value: null }),
      met: vsNode ? vsNode.median <= GOALS.nodeSysRatio : null,
      note: `famez ${round(l.famez.medianUs, 1)} us, nodeSys ${round(l.nodeSys.medianUs, 1)} us, C floor ${round(l.c.medianUs, 1)} us; C making Node's system calls ${formatSpread(l.ratios.cEpoll)} the floor`,
    });
    out.push({
      goal: 'event-loop round trip on one CPU: famez median / C floor median, per round (information: Node bounds it)',
      target: 'information',
      ...fromSpread(l.ratios.famez),
      met: null,
      note: `nodeSys ${formatSpread(l.ratios.nodeSys)} the C floor`,
    });
    const thread = r.latency.pinned.ratios.thread;
    if (thread !== undefined) {
      out.push({
        goal: 'round trip on one CPU, doorbell handed to a worker thread (sys.waitEventfd): median / C floor median, per round',
        target: `<= ${GOALS.threadRatio}`,
        ...fromSpread(thread),
        met: thread.median <= GOALS.threadRatio,
        note:
          `event-loop API ${round(r.latency.pinned.famez.medianUs, 1)} us, worker thread ${round(r.latency.pinned.thread.medianUs, 1)} us, C ${round(r.latency.pinned.c.medianUs, 1)} us; ` +
          `C waiting as the worker thread does on an eventfd left non-blocking (poll, then read) ${round(r.latency.pinned.cPoll.medianUs, 1)} us, ${formatSpread(r.latency.pinned.ratios.cPoll)} the floor`,
      });
    }
  }
  if (r.switched) {
    const s = r.switched.pinned;
    out.push({
      goal: 'a switched doorbell adds at most one direct round trip (one CPU): added us / direct round trip us, per round',
      target: '<= 1',
      ...fromSpread(s.addedRatio),
      met: s.addedRatio.median <= 1,
      note: `added ${round(s.addedUsPerDoorbell, 1)} us per doorbell, direct round trip ${round(s.direct.roundTrip.medianUs, 1)} us`,
    });
  }
  if (r.web) {
    for (const [budget, row] of Object.entries(r.web.budgets)) {
      out.push({
        goal: `mailbox ping -> pong on one CPU with ${r.web.clients} event-stream clients / without, event budget ${budget}, per round`,
        target: `<= ${GOALS.webClientsRatio}`,
        ...fromSpread(row.ratio),
        met: row.ratio.median <= GOALS.webClientsRatio,
        note:
          `${row.without.medianUs.toFixed(1)} us without, ${row.with.medianUs.toFixed(1)} us with: ${row.addedUsMedian.toFixed(1)} us added; ` +
          `the clients read ${Math.round(row.eventsPerSecond)} events/s; clients open at the end of each round: ${row.openAtEnd.join(', ')}`,
      });
    }
  }
  if (r.messages) {
    const m = r.messages;
    out.push({
      goal: 'mailbox ping -> pong on one CPU: famez switch median / C peer median, per round',
      target: `<= ${GOALS.switchRatio}`,
      ...fromSpread(m.roundTrip.ratio),
      met: m.roundTrip.ratio.median <= GOALS.switchRatio,
      note: `switch ${round(m.roundTrip.switch.medianUs, 1)} us (p99 ${round(m.roundTrip.switch.p99Us, 1)}), C ${round(m.roundTrip.floor.medianUs, 1)} us (p99 ${round(m.roundTrip.floor.p99Us, 1)})`,
    });
    for (const row of m.senders.rows) {
      // The goal is held on one CPU, where a wake-up is a context switch; without affinity the
      // rounds are cross-CPU wake-ups that swing widely: information.
      const goal = row.pinning === 'pinned';
      out.push({
        goal: `messages/s through the switch, ${row.senders} sender(s), ${row.pinning}: famez switch / C switch (bench/c-switch.c), per round`,
        target: goal ? `>= ${GOALS.switchFloorRatio}` : 'information',
        ...fromSpread(row.ratio),
        met: goal ? row.ratio.median >= GOALS.switchFloorRatio : null,
        note:
          `famez ${Math.round(row.famez.messagesPerSecond)}/s, C switch ${Math.round(row.c.messagesPerSecond)}/s (medians); CPU per message ${round(row.famez.cpuUsPerMessage, 2)} / ${round(row.c.cpuUsPerMessage, 2)} us; ` +
          `Node's own floor (c-switch.c's algorithm on famez's server) ${row.nodeLoopRatio.median.toFixed(2)}x the C switch through the event loop, ${row.nodeThreadRatio.median.toFixed(2)}x on a worker thread`,
      });
    }
    const four = m.senders.rows.filter((row) => row.senders === 4);
    const best = four.sort((a, b) => b.famez.messagesPerSecond - a.famez.messagesPerSecond)[0];
    if (best) {
      out.push({
        goal: 'messages/s through the switch from 4 senders (the better pinning)',
        target: `>= ${GOALS.switchMessagesPerSecond}`,
        value: Math.round(best.famez.messagesPerSecond),
        met: best.famez.messagesPerSecond >= GOALS.switchMessagesPerSecond,
        note: `${best.pinning}; the C switch, the protocol's floor, made ${Math.round(best.c.messagesPerSecond)}/s in the same rounds`,
      });
    }
    out.push({
      goal: `idle fabric with ${m.idle.peers} silent peers over ${m.idle.seconds} s: wake-ups of its own`,
      target: '0',
      value: m.idle.wakeups,
      met: m.idle.wakeups === 0,
      note: `${m.idle.cpuNs} ns of CPU; by thread ${JSON.stringify(m.idle.wakeupsByThread)}`,
    });
  }
  if (r.cluster) {
    const c = r.cluster;
    out.push({
      goal: 'cross-host ping -> pong (C peers, each fabric its own process) / NATS request-reply between two processes, per round',
      target: `<= ${GOALS.clusterRatio}`,
      ...fromSpread(c.ratio),
      met: c.ratio.median <= GOALS.clusterRatio,
      note:
        `cross-host ${round(c.crossHostPingUs, 1)} us, NATS ${round(c.natsRequestReplyUs, 1)} us; ` +
        `NATS with four more wake-ups ${round(c.wakeUpBound.median, 2)}x`,
    });
    out.push({
      goal: "a FabricPeer sender's round trips/s across hosts / a C peer's, per round",
      target: `>= ${GOALS.fabricPeerVsC}`,
      ...fromSpread(c.fabricPeerVsC),
      met: c.fabricPeerVsC.median >= GOALS.fabricPeerVsC,
      note: `FabricPeer ${Math.round(c.fabricPeerPerSecond)}/s, C ${Math.round(c.cSenderPerSecond)}/s`,
    });
    out.push({
      goal: 'four C senders on one host to four receivers on another / one sender, round trips/s, per round',
      target: `>= ${GOALS.fourSenders}`,
      ...fromSpread(c.fourVsOne),
      met: c.fourVsOne.median >= GOALS.fourSenders,
      note: `${Math.round(c.fourSendersPerSecond)}/s against ${Math.round(c.cSenderPerSecond)}/s`,
    });
  }
  if (r.join) {
    for (const vectors of JOIN_VECTORS) {
      const rows = r.join.filter((j) => j.vectors === vectors);
      if (rows.length < 2) continue;
      const complete = rows.every((j) => j.complete);
      const range = `N=${rows[0]!.peers} to N=${rows[rows.length - 1]!.peers}`;
      for (const [what, costs] of [
        ['server CPU per message', rows.map((j) => j.serverCpuUsPerMessage)],
        ['wall time per message, receiving peers included', rows.map((j) => j.usPerMessage)],
      ] as const) {
        // The cost where it matters, at the largest N, against the cheapest N: a cost
        // that falls as N grows (the fixed work of a join shared by more messages) meets it.
        const growth = costs[costs.length - 1]! / Math.min(...costs);
        const notes = [
          `max / min over every N = ${round(Math.max(...costs) / Math.min(...costs), 2)}`,
          `us per message by N: ${costs.map((c) => round(c, 2)).join(', ')}`,
        ];
        if (!complete) notes.push('some runs did not deliver every message');
        out.push({
          goal: `join, ${vectors} vector(s): ${what} does not grow from ${range} (at the largest N / at the cheapest N)`,
          target: `<= ${GOALS.joinGrowth}`,
          value: round(growth, 3),
          met: growth <= GOALS.joinGrowth && complete,
          note: notes.join('; '),
        });
      }
    }
  }
  if (r.idle) {
    const busy = r.idle.perSecondNs.filter((ns) => ns > 0).length;
    const notes = [
      `${r.idle.serverCpuNsSchedstat} ns by schedstat, in ${busy} of ${r.idle.perSecondNs.length} seconds`,
    ];
    if (r.idle.gcs.length > 0)
      notes.push(`V8 GC in the window: ${r.idle.gcs.map((g) => `second ${g.second}: ${g.gc}`).join(' | ')}`);
    out.push({
      goal: `idle server CPU with ${r.idle.peers} silent peers over ${round(r.idle.seconds, 1)} s (seconds)`,
      target: '0',
      value: round(r.idle.serverCpuNsSchedstat / 1e9, 6),
      met: r.idle.serverCpuNsSchedstat === GOALS.idleCpuSeconds,
      note: notes.join('; '),
    });
  }
  return out;
}

export function round(value: number, digits: number): number {
  return Number(value.toFixed(digits));
}
