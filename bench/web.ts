// What the web costs the fabric (issue 13: "100 event-stream clients do not
// slow the fabric"): the mailbox ping -> pong round trip of a C peer with the
// famez switch, `famez fabric --http` and the C peer on CPU 0, with no
// event-stream client and with 100 reading every event (each ping and pong is
// a `message` and a `sent` event), alternating, in the same run.
import { request, type ClientRequest } from 'node:http';
import { compile, fabric, medianTrip, PIN, pingRun, type MessagePlan, type RoundTrip } from './messages.js';

export interface WebCostResults {
  affinity: string;
  clients: number;
  without: RoundTrip;
  with: RoundTrip;
  /** with / without, medians. */
  ratioMedian: number;
  addedUsMedian: number;
  /** Bytes of events the clients read during the runs with them, all together. */
  eventBytes: number;
  reps: Array<{ without: RoundTrip; with: RoundTrip }>;
}

const CLIENTS = 100;

/** `count` event-stream clients reading (and counting) every byte; resolves once each has its answer. */
async function streamClients(url: string, count: number): Promise<{ bytes(): number; close(): void }> {
  let bytes = 0;
  const requests: ClientRequest[] = [];
  await Promise.all(Array.from({ length: count }, () => new Promise<void>((resolve, reject) => {
    const req = request(`${url}/api/v1/events`, { agent: false }, (res) => {
      res.on('data', (chunk: Buffer) => { bytes += chunk.length; });
      resolve();
    });
    req.on('error', reject).end();
    requests.push(req);
  })));
  return { bytes: () => bytes, close: () => requests.forEach((req) => req.destroy()) };
}

export async function webCost(tmp: string, plan: MessagePlan, log: (text: string) => void): Promise<WebCostResults> {
  const binary = compile();
  const served = await fabric(tmp, 'web-cost', PIN, ['--http', '127.0.0.1:0'], /web on http:/);
  const url = /web on (http:\S+?)\/ /.exec(served.said)![1]!;
  const reps: WebCostResults['reps'] = [];
  let eventBytes = 0;
  try {
    for (let rep = 0; rep < plan.reps; rep++) {
      const without = await pingRun(binary, served.socket, 15, plan);
      const clients = await streamClients(url, CLIENTS);
      let withClients: RoundTrip;
      try {
        withClients = await pingRun(binary, served.socket, 15, plan);
      } finally {
        eventBytes += clients.bytes();
        clients.close();
      }
      reps.push({ without, with: withClients });
      log(`mailbox ping -> pong on CPU 0 #${rep + 1}: ${without.medianUs.toFixed(1)} us without event-stream clients, ${withClients.medianUs.toFixed(1)} us with ${CLIENTS} (median)`);
    }
  } finally {
    await served.stop();
  }
  const without = medianTrip(reps.map((r) => r.without));
  const withClients = medianTrip(reps.map((r) => r.with));
  return {
    affinity: 'famez fabric --http and the C peer on CPU 0 (taskset -c 0); the clients in the bench process, unpinned',
    clients: CLIENTS, without, with: withClients,
    ratioMedian: withClients.medianUs / without.medianUs, addedUsMedian: withClients.medianUs - without.medianUs,
    eventBytes, reps,
  };
}
