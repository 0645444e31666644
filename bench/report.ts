// The bench's printed tables (the chart is results-chart.ts).
import type { goals, Results } from './goals.js';
import { famezRefReport } from './famez-ref.js';
import { formatSpread } from './lib.js';
import { PINNINGS } from './plan.js';

/** full: every section at full length; quick: --quick; partial: --only. */
export type RunMode = 'full' | 'quick' | 'partial';

function table(headers: string[], rows: Array<Array<string | number>>): string {
  const cells = [headers, ...rows.map((row) => row.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((row) => row[i]!.length)));
  const line = (row: string[]): string =>
    row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  return [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

export function report(
  r: Results,
  m: Record<string, unknown>,
  goalList: ReturnType<typeof goals>,
  mode: RunMode,
): string {
  const parts = [
    `famez bench (${mode}) on ${m.cpu as string}, ${m.nproc as number} CPUs, ` +
      `Linux ${m.kernel as string}, Node ${m.node as string}, ${m.date as string}`,
  ];
  if (r.latency) {
    const rows = PINNINGS.flatMap((p) => {
      const l = r.latency![p.name];
      return [
        [
          `famez ${p.name}`,
          l.famez.medianUs.toFixed(1),
          l.famez.p99Us.toFixed(1),
          l.famez.minUs.toFixed(1),
          formatSpread(l.ratios.famez),
        ],
        [
          `  Node + src/sys only ${p.name}`,
          l.nodeSys.medianUs.toFixed(1),
          l.nodeSys.p99Us.toFixed(1),
          l.nodeSys.minUs.toFixed(1),
          formatSpread(l.ratios.nodeSys),
        ],
        [
          `famez, worker thread wait ${p.name}`,
          l.thread.medianUs.toFixed(1),
          l.thread.p99Us.toFixed(1),
          l.thread.minUs.toFixed(1),
          formatSpread(l.ratios.thread),
        ],
        [
          `  C, same syscalls as Node ${p.name}`,
          l.cEpoll.medianUs.toFixed(1),
          l.cEpoll.p99Us.toFixed(1),
          l.cEpoll.minUs.toFixed(1),
          formatSpread(l.ratios.cEpoll),
        ],
        [
          `  C, poll then read (non-blocking) ${p.name}`,
          l.cPoll.medianUs.toFixed(1),
          l.cPoll.p99Us.toFixed(1),
          l.cPoll.minUs.toFixed(1),
          formatSpread(l.ratios.cPoll),
        ],
        [`C floor ${p.name}`, l.c.medianUs.toFixed(1), l.c.p99Us.toFixed(1), l.c.minUs.toFixed(1), '1'],
      ];
    });
    parts.push(
      `\nDoorbell round trip (${r.latency.rounds} trips after ${r.latency.warmup} warm-up, median of ${r.latency.reps} alternating rounds)\n` +
        table(['', 'median us', 'p99 us', 'min us', 'x C, per round: median (min-max)'], rows),
    );
  }
  if (r.switched) {
    const rows = PINNINGS.flatMap((p) => {
      const s = r.switched![p.name];
      return (['direct', 'switched'] as const).map((mode) => [
        `${mode} ${p.name}`,
        s[mode].roundTrip.medianUs.toFixed(1),
        s[mode].roundTrip.p99Us.toFixed(1),
        Math.round(s[mode].ringsPerSecond),
        s[mode].forwardedPerSecond === undefined ? '-' : Math.round(s[mode].forwardedPerSecond!),
        mode === 'switched' ? s.addedUsPerDoorbell.toFixed(1) : '',
        mode === 'switched' ? formatSpread(s.addedRatio) : '',
      ]);
    });
    parts.push(
      `\nSwitched doorbells (every doorbell through the server and its Router, no faults; round trips in ${r.switched!.pinned.addedRatio.rounds.length} alternating rounds)\n` +
        table(
          [
            '',
            'round trip median us',
            'p99 us',
            'rings/s one way',
            'forwarded/s',
            'added us per doorbell',
            'added / direct, per round',
          ],
          rows,
        ),
    );
  }
  if (r.messages) {
    const m = r.messages;
    parts.push(
      `\nMailbox ping -> pong (${m.roundTrip.affinity}; median of ${m.roundTrip.reps.length} alternating rounds)\n` +
        table(
          ['', 'median us', 'p99 us', 'messages/s', 'x C, per round'],
          [
            [
              'C peer -> famez switch',
              m.roundTrip.switch.medianUs.toFixed(1),
              m.roundTrip.switch.p99Us.toFixed(1),
              Math.round(m.roundTrip.switch.perSecond),
              formatSpread(m.roundTrip.ratio),
            ],
            [
              'C peer -> C peer (floor)',
              m.roundTrip.floor.medianUs.toFixed(1),
              m.roundTrip.floor.p99Us.toFixed(1),
              Math.round(m.roundTrip.floor.perSecond),
              '1',
            ],
          ],
        ),
    );
    parts.push(
      `\nSenders pinging the switch at once (${m.senders.floodSeconds} s each, median of ${m.senders.rows[0]?.ratio.rounds.length ?? 0} alternating rounds)\n` +
        table(
          [
            'senders',
            'pinning',
            'famez switch msg/s',
            'C switch msg/s',
            'famez / C, per round',
            'CPU us/msg famez',
            'CPU us/msg C',
            'Node loop / C',
            'Node thread / C',
            'CPU us/msg Node loop, thread',
          ],
          m.senders.rows.map((row) => [
            row.senders,
            row.pinning,
            Math.round(row.famez.messagesPerSecond),
            Math.round(row.c.messagesPerSecond),
            formatSpread(row.ratio),
            row.famez.cpuUsPerMessage.toFixed(1),
            row.c.cpuUsPerMessage.toFixed(1),
            formatSpread(row.nodeLoopRatio),
            formatSpread(row.nodeThreadRatio),
            `${row.nodeLoop.cpuUsPerMessage.toFixed(1)}, ${row.nodeThread.cpuUsPerMessage.toFixed(1)}`,
          ]),
        ),
    );
    parts.push(
      `\nIdle fabric: ${m.idle.peers} silent peers, ${m.idle.seconds} s: ${m.idle.cpuNs} ns of CPU, ${m.idle.wakeups} wake-ups`,
    );
  }
  if (r.famezRef) parts.push(famezRefReport(r.famezRef));
  if (r.web) {
    const w = r.web;
    parts.push(
      `\nThe web's cost: mailbox ping -> pong (${w.affinity}; median of ${w.budgets.shipped.reps.length} alternating rounds)\n` +
        table(
          [
            'event budget',
            'clients',
            'median us',
            'p99 us',
            'messages/s',
            'x without, per round',
            'flood msg/s',
            'events/s read',
          ],
          Object.entries(w.budgets).flatMap(([budget, row]) => [
            [
              budget,
              0,
              row.without.medianUs.toFixed(1),
              row.without.p99Us.toFixed(1),
              Math.round(row.without.perSecond),
              '1',
              '',
              '',
            ],
            [
              budget,
              w.clients,
              row.with.medianUs.toFixed(1),
              row.with.p99Us.toFixed(1),
              Math.round(row.with.perSecond),
              formatSpread(row.ratio),
              Math.round(row.floodMessagesPerSecond),
              Math.round(row.eventsPerSecond),
            ],
          ]),
        ),
    );
  }
  if (r.throughput) {
    parts.push(
      `\nOne-way doorbell throughput (${r.throughput.seconds} s)\n` +
        table(
          ['', 'rings/s seen', 'wake-ups/s', 'rings/wake-up', 'sent = seen'],
          PINNINGS.map((p) => {
            const t = r.throughput![p.name];
            return [
              p.name,
              Math.round(t.ringsPerSecond),
              Math.round(t.wakeupsPerSecond),
              t.ringsPerWakeup.toFixed(1),
              String(t.ringsSent === t.ringsSeen),
            ];
          }),
        ),
    );
  }
  if (r.join) {
    parts.push(
      '\nJoin scaling (peers join one by one; totals include delivering every announcement)\n' +
        table(
          [
            'V',
            'N',
            'total s',
            'ms/join',
            'ms/join last10%',
            'messages',
            'msg/s',
            'us/msg',
            'server CPU us/msg',
            'peers CPU us/msg',
            'server RSS MiB',
            'server fds',
            'complete',
          ],
          r.join.map((j) => [
            j.vectors,
            j.peers,
            j.totalSeconds.toFixed(3),
            (j.secondsPerJoinMean * 1e3).toFixed(3),
            (j.secondsPerJoinLast10 * 1e3).toFixed(3),
            j.messages,
            Math.round(j.messagesPerSecond),
            j.usPerMessage.toFixed(2),
            j.serverCpuUsPerMessage.toFixed(2),
            j.farmCpuUsPerMessage.toFixed(2),
            (j.serverRssKiB / 1024).toFixed(1),
            j.serverFds,
            String(j.complete),
          ]),
        ),
    );
  }
  if (r.idle) {
    parts.push(
      `\nIdle: server CPU ${r.idle.serverCpuSeconds} s (${r.idle.serverCpuTicks} clock ticks; ${r.idle.serverCpuNsSchedstat} ns by schedstat) over ${r.idle.seconds.toFixed(1)} s with ${r.idle.peers} silent peers`,
    );
  }
  if (goalList.length > 0) {
    parts.push(
      '\nGoals\n' +
        table(
          ['goal', 'target', 'value', 'spread (min-max)', 'met'],
          goalList.map((g) => [
            g.goal,
            g.target,
            String(g.value),
            g.spread ?? '',
            g.met === null ? (g.target === 'information' ? 'information' : 'not measured') : g.met ? 'yes' : 'NO',
          ]),
        ),
    );
    for (const g of goalList) if (g.note) parts.push(`  ${g.goal}: ${g.note}`);
  }
  return parts.join('\n') + '\n';
}
