// Senders pinging the switch at once (issue 23): 1, 4 and 14 C peers
// (bench/mailbox-peer.c flood) against famez's switch and against the
// protocol's floor, the C switch (bench/c-switch.c), with the same pinning,
// in alternating rounds of the same run. Both answer through their one
// outgoing slot; the per-round ratio famez / C says what famez's switch costs
// beyond what the protocol itself costs. Beside them, as information, Node's own
// floor for a switch: c-switch.c's algorithm on famez's server in Node, its
// doorbells through the event loop (children/pong-switch loop) or on a worker
// thread blocked on all of them (thread).
import { join } from 'node:path';
import { cSwitch, fabric, floodRun, switchProcess, type MessagePlan, type SwitchProcess } from './mailbox-run.js';
import { compileC, cpuNs, DIST, sleep, spread, type Spread } from './lib.js';
import { PINNINGS } from './plan.js';

export const SENDER_COUNTS = [1, 4, 14];
type Pinning = (typeof PINNINGS)[number]['name'];

export interface SwitchFigures {
  messagesPerSecond: number;
  rounds: number[];
  /** The switch process's CPU time per message answered, us (median over rounds; joins and leaves included). */
  cpuUsPerMessage: number;
}

export interface SenderRow {
  pinning: Pinning;
  senders: number;
  /** Messages/s answered, all senders together: the median over rounds and each round's figure. */
  famez: SwitchFigures;
  c: SwitchFigures;
  /** famez / C switch, per round. */
  ratio: Spread;
  /** Node's own floor for a switch: through the event loop, and on a worker thread. */
  nodeLoop: SwitchFigures;
  nodeThread: SwitchFigures;
  /** Each / C switch, per round. */
  nodeLoopRatio: Spread;
  nodeThreadRatio: Spread;
}

type Side = 'famez' | 'c' | 'nodeLoop' | 'nodeThread';
const SIDES: readonly Side[] = ['famez', 'c', 'nodeLoop', 'nodeThread'];

/** bench/children/pong-switch in its own process, behind `prefix`. */
function pongSwitch(mode: 'loop' | 'thread', tmp: string, name: string, prefix: string[]): Promise<SwitchProcess> {
  const socket = join(tmp, `${name}.sock`);
  return switchProcess(
    [...prefix, process.execPath, `${DIST}bench/children/pong-switch.js`, mode, socket],
    socket,
    /^listening on /,
  );
}

export interface SendersResults {
  affinity: Record<Pinning, string>;
  floodSeconds: number;
  rows: SenderRow[];
}

/**
 * `count` C peers pinging `sw`'s switch for `seconds`: messages/s answered, all together, and the
 * switch's CPU time per message (its threads' schedstat: what it costs, whoever else wants the CPU).
 */
async function flood(
  binary: string,
  sw: SwitchProcess,
  count: number,
  seconds: number,
  prefix: string[],
): Promise<{ perSecond: number; cpuUs: number }> {
  const cpuBefore = cpuNs(sw.pid);
  const runs = await Promise.all(Array.from({ length: count }, () => floodRun(binary, sw.socket, 15, seconds, prefix)));
  const cpu = cpuNs(sw.pid) - cpuBefore;
  // The switch sees each leave a moment after the process is gone: the next batch must find the ports free.
  await sleep(100);
  const messages = runs.reduce((sum, r) => sum + r.messages, 0);
  return { perSecond: runs.reduce((sum, r) => sum + r.messages / r.seconds, 0), cpuUs: cpu / 1e3 / messages };
}

export async function sendersRows(
  tmp: string,
  plan: MessagePlan,
  log: (text: string) => void,
  peer: string,
): Promise<SendersResults> {
  const floor = compileC('c-switch');
  const rows: SenderRow[] = [];
  for (const pinning of PINNINGS) {
    const prefix = [...pinning.prefix];
    const switches: Record<Side, SwitchProcess> = {
      famez: await fabric(tmp, `senders-${pinning.name}`, prefix),
      c: await cSwitch(floor, tmp, `senders-c-${pinning.name}`, prefix),
      nodeLoop: await pongSwitch('loop', tmp, `senders-loop-${pinning.name}`, prefix),
      nodeThread: await pongSwitch('thread', tmp, `senders-thread-${pinning.name}`, prefix),
    };
    try {
      // Unrecorded floods first: famez's first round otherwise measures V8 compiling its path (0.55x
      // where the rounds after it made 0.9-1.0x), which a switch that runs for hours pays once.
      for (const side of SIDES)
        for (const count of SENDER_COUNTS) await flood(peer, switches[side], count, plan.floodSeconds / 2, prefix);
      const empty = () => Object.fromEntries(SIDES.map((side) => [side, [] as number[]])) as Record<Side, number[]>;
      const rates = new Map(SENDER_COUNTS.map((count) => [count, empty()]));
      const cpu = new Map(SENDER_COUNTS.map((count) => [count, empty()]));
      for (let rep = 0; rep < plan.reps; rep++) {
        for (const count of SENDER_COUNTS) {
          const order = rep % 2 === 0 ? SIDES : [...SIDES].reverse();
          for (const side of order) {
            const run = await flood(peer, switches[side], count, plan.floodSeconds, prefix);
            rates.get(count)![side].push(run.perSecond);
            cpu.get(count)![side].push(run.cpuUs);
          }
          const r = rates.get(count)!;
          const c = cpu.get(count)!;
          const said = (side: Side) => `${(r[side].at(-1)! / 1e3).toFixed(1)}k (${c[side].at(-1)!.toFixed(1)} us)`;
          log(
            `${count} sender(s) ${pinning.name} #${rep + 1}, messages/s (CPU each): famez switch ${said('famez')}, ` +
              `C switch ${said('c')}, Node loop ${said('nodeLoop')}, Node thread ${said('nodeThread')}`,
          );
        }
      }
      for (const [count, r] of rates) {
        const figures = (side: Side): SwitchFigures => ({
          messagesPerSecond: spread(r[side]).median,
          rounds: r[side],
          cpuUsPerMessage: spread(cpu.get(count)![side]).median,
        });
        const overC = (side: Side) => spread(r[side].map((rate, i) => rate / r.c[i]!));
        rows.push({
          pinning: pinning.name,
          senders: count,
          ratio: overC('famez'),
          famez: figures('famez'),
          c: figures('c'),
          nodeLoop: figures('nodeLoop'),
          nodeThread: figures('nodeThread'),
          nodeLoopRatio: overC('nodeLoop'),
          nodeThreadRatio: overC('nodeThread'),
        });
      }
    } finally {
      await Promise.all(SIDES.map((side) => switches[side].stop()));
    }
  }
  return {
    affinity: Object.fromEntries(PINNINGS.map((p) => [p.name, `the switch and every sender: ${p.label}`])) as Record<
      Pinning,
      string
    >,
    floodSeconds: plan.floodSeconds,
    rows,
  };
}
