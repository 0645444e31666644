// The bench's chart (bench/results/*.svg): join cost and message rate by N,
// doorbell and mailbox round trips against their C floors.
import type { Results } from './goals.js';
import { JOIN_VECTORS, PINNINGS } from './plan.js';
import type { RunMode } from './report.js';
import { chart, type LatencyBar, type Series } from './svg.js';

export function svg(r: Results, m: Record<string, unknown>, mode: RunMode): string {
  const colors: Record<number, string> = { 1: '#1f77b4', 8: '#d62728' };
  const perJoin: Series[] = [];
  const messageRate: Series[] = [];
  for (const vectors of JOIN_VECTORS) {
    const rows = (r.join ?? []).filter((j) => j.vectors === vectors);
    if (rows.length === 0) continue;
    perJoin.push(
      {
        label: `${vectors} vector${vectors > 1 ? 's' : ''}: mean`,
        color: colors[vectors]!,
        points: rows.map((j) => [j.peers, j.secondsPerJoinMean * 1e3]),
      },
      {
        label: `${vectors} vector${vectors > 1 ? 's' : ''}: last 10% of joins`,
        color: colors[vectors]!,
        dashed: true,
        points: rows.map((j) => [j.peers, j.secondsPerJoinLast10 * 1e3]),
      },
    );
    messageRate.push({
      label: `${vectors} vector${vectors > 1 ? 's' : ''}`,
      color: colors[vectors]!,
      points: rows.map((j) => [j.peers, j.messagesPerSecond]),
    });
  }
  const bars: LatencyBar[] = [];
  if (r.latency) {
    for (const p of PINNINGS) {
      const l = r.latency[p.name];
      const group = `${p.name === 'pinned' ? '1 CPU' : 'free'} ${l.ratioMedian.toFixed(2)}x`;
      bars.push(
        { group, label: 'famez', color: '#2ca02c', median: l.famez.medianUs, p99: l.famez.p99Us },
        { group, label: 'sys', color: '#9467bd', median: l.nodeSys.medianUs, p99: l.nodeSys.p99Us },
        { group, label: 'epoll', color: '#bcbd22', median: l.cEpoll.medianUs, p99: l.cEpoll.p99Us },
        { group, label: 'C', color: '#7f7f7f', median: l.c.medianUs, p99: l.c.p99Us },
      );
      if (p.name === 'pinned' && l.thread)
        bars.push({ group, label: 'thr', color: '#17becf', median: l.thread.medianUs, p99: l.thread.p99Us });
    }
  }
  if (r.messages) {
    const m = r.messages.roundTrip;
    const group = `mailbox ${m.ratio.median.toFixed(2)}x`;
    bars.push(
      { group, label: 'switch', color: '#ff7f0e', median: m.switch.medianUs, p99: m.switch.p99Us },
      { group, label: 'C', color: '#7f7f7f', median: m.floor.medianUs, p99: m.floor.p99Us },
    );
  }
  return chart({
    title: 'famez benchmarks',
    subtitle:
      `${m.cpu as string}, ${m.nproc as number} CPUs, Linux ${m.kernel as string}, Node ${m.node as string}, ${(m.date as string).slice(0, 10)}` +
      (mode === 'full' ? '' : ' (quick/partial run)'),
    perJoin,
    messageRate,
    latency: bars,
    latencyNote: 'famez, src/sys, C epoll, C, thread; mailbox: switch, C',
  });
}
