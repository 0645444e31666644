// What the web costs the fabric (issue 13, made honest by issue 23): the
// mailbox ping -> pong round trip of a C peer with the famez switch,
// `famez fabric --http` and the C peer on CPU 0, with no event-stream client
// and with 100 in a process of their own (pinned to another CPU) reading every
// event they are sent (each ping and pong is a `message` and a `sent` event),
// then a flood of pings with them for the events they read per second.
// Two fabrics: the event budget as shipped (100 busy events a second) and
// with it off (`--http-events all`), so the row measures the stream, not the
// budget. Alternating rounds in the same run; each ratio is per round.
import { cpus } from 'node:os';
import { nextMessage, spread, startNode, stopped, type Message, type Spread } from './lib.js';
import {
  compile,
  fabric,
  floodRun,
  medianTrip,
  PIN,
  pingRun,
  type MessagePlan,
  type RoundTrip,
  type SwitchProcess,
} from './mailbox-run.js';

const CLIENTS = 100;
const BUDGETS = ['shipped', 'off'] as const;
type Budget = (typeof BUDGETS)[number];

export interface WebBudgetRow {
  /** `famez fabric --http` options for this budget. */
  options: string[];
  without: RoundTrip;
  with: RoundTrip;
  /** with / without, per round. */
  ratio: Spread;
  ratioMedian: number;
  addedUsMedian: number;
  /**
   * Events the clients read per second during a flood of pings (1.5 s at least), all clients together (median over
   * rounds).
   */
  eventsPerSecond: number;
  /** Messages/s answered during that flood (median over rounds). */
  floodMessagesPerSecond: number;
  /** Clients still connected at the end of each round (the stream drops one that falls 1 MiB behind). */
  openAtEnd: number[];
  reps: Array<{ without: RoundTrip; with: RoundTrip; events: number; seconds: number; floodMessagesPerSecond: number }>;
}

export interface WebCostResults {
  affinity: string;
  clients: number;
  budgets: Record<Budget, WebBudgetRow>;
  /** The shipped budget's figures (the goal's). */
  without: RoundTrip;
  with: RoundTrip;
  ratio: Spread;
  ratioMedian: number;
  addedUsMedian: number;
}

type Counted = Message & { events: number; bytes: number; open: number };

/** The clients' process: on CPU 1 when there is one, so the fabric pays for streaming, not for the reading. */
const CLIENT_PIN = cpus().length > 1 ? ['taskset', '-c', '1'] : PIN;

/**
 * With the clients reading: the round trips `run` times, then a flood of `seconds` (at least 1.5: the budget counts per
 * second) for the events read per second.
 */
async function clientsRun(
  url: string,
  run: () => Promise<RoundTrip>,
  flood: (seconds: number) => Promise<number>,
  floodSeconds: number,
): Promise<{ trip: RoundTrip; events: number; seconds: number; messagesPerSecond: number; open: number }> {
  const clients = startNode('event-clients', [url, String(CLIENTS)], CLIENT_PIN);
  try {
    await nextMessage(clients, 'ready', 30_000);
    const counted = (): Promise<Counted> => {
      const answer = nextMessage<Counted>(clients, 'counted', 30_000);
      clients.send({ type: 'count' });
      return answer;
    };
    const trip = await run();
    const before = await counted();
    const began = performance.now();
    const messagesPerSecond = await flood(floodSeconds);
    const seconds = (performance.now() - began) / 1000;
    const after = await counted();
    return { trip, events: after.events - before.events, seconds, messagesPerSecond, open: after.open };
  } finally {
    if (clients.connected) clients.send({ type: 'exit' });
    await stopped(clients);
  }
}

export async function webCost(tmp: string, plan: MessagePlan, log: (text: string) => void): Promise<WebCostResults> {
  const binary = compile();
  const options: Record<Budget, string[]> = { shipped: [], off: ['--http-events', 'all'] };
  const served = {} as Record<Budget, SwitchProcess & { url: string }>;
  const reps: Record<Budget, WebBudgetRow['reps']> = { shipped: [], off: [] };
  const open: Record<Budget, number[]> = { shipped: [], off: [] };
  try {
    for (const budget of BUDGETS) {
      const fabricProcess = await fabric(
        tmp,
        `web-cost-${budget}`,
        PIN,
        ['--http', '127.0.0.1:0', ...options[budget]],
        /web on http:/,
      );
      served[budget] = { ...fabricProcess, url: /web on (http:\S+?)\/ /.exec(fabricProcess.said)![1]! };
    }
    for (let rep = 0; rep < plan.reps; rep++) {
      for (const budget of rep % 2 === 0 ? BUDGETS : [...BUDGETS].reverse()) {
        const { socket, url } = served[budget];
        const without = await pingRun(binary, socket, 15, plan);
        const flood = async (seconds: number): Promise<number> => {
          const r = await floodRun(binary, socket, 15, seconds, PIN);
          return r.messages / r.seconds;
        };
        const withClients = await clientsRun(
          url,
          () => pingRun(binary, socket, 15, plan),
          flood,
          Math.max(1.5, plan.floodSeconds),
        );
        reps[budget].push({
          without,
          with: withClients.trip,
          events: withClients.events,
          seconds: withClients.seconds,
          floodMessagesPerSecond: withClients.messagesPerSecond,
        });
        open[budget].push(withClients.open);
        log(
          `web, budget ${budget}, #${rep + 1}: ${without.medianUs.toFixed(1)} us without event-stream clients, ${withClients.trip.medianUs.toFixed(1)} us with ${CLIENTS} ` +
            `(median); in a flood of ${(withClients.messagesPerSecond / 1e3).toFixed(1)}k messages/s they read ${(withClients.events / withClients.seconds / 1e3).toFixed(1)}k events/s, ${withClients.open} still open`,
        );
      }
    }
  } finally {
    await Promise.all(Object.values(served).map((s) => s.stop()));
  }
  const row = (budget: Budget): WebBudgetRow => {
    const r = reps[budget];
    const ratio = spread(r.map((x) => x.with.medianUs / x.without.medianUs));
    const without = medianTrip(r.map((x) => x.without));
    const withClients = medianTrip(r.map((x) => x.with));
    return {
      options: options[budget],
      without,
      with: withClients,
      ratio,
      ratioMedian: ratio.median,
      addedUsMedian: spread(r.map((x) => x.with.medianUs - x.without.medianUs)).median,
      eventsPerSecond: spread(r.map((x) => x.events / x.seconds)).median,
      floodMessagesPerSecond: spread(r.map((x) => x.floodMessagesPerSecond)).median,
      openAtEnd: open[budget],
      reps: r,
    };
  };
  const budgets = { shipped: row('shipped'), off: row('off') };
  return {
    affinity: `famez fabric --http and the C peer on CPU 0 (taskset -c 0); the ${CLIENTS} clients in a process of their own (${CLIENT_PIN.join(' ')})`,
    clients: CLIENTS,
    budgets,
    without: budgets.shipped.without,
    with: budgets.shipped.with,
    ratio: budgets.shipped.ratio,
    ratioMedian: budgets.shipped.ratioMedian,
    addedUsMedian: budgets.shipped.addedUsMedian,
  };
}
