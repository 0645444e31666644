// FAME-Z's own switch as a reference row (`--famez-ref DIR`, a FAME-Z
// checkout): its ivshmsg_server.py run with python3 (Twisted, attr and
// daemonize installed; its REST import `klein` gets a stand-in that serves
// nothing), pinged by the C mailbox peer on CPU 0 with FAME-Z on CPU 0 too,
// in alternating rounds with famez's switch pinned the same way. Without a
// checkout the row says "not measured" (CI has no network). Nothing of
// FAME-Z's code is in this project; its output is discarded (it prints a line
// per message), and the files it leaves behind (the mailbox in /dev/shm, the
// socket and its .lock, all with names unique to this run) are removed.
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sleep, spread, start, stopped, type Spread } from './lib.js';
import { compile, fabric, medianTrip, PIN, pingRun, type MessagePlan, type RoundTrip } from './mailbox-run.js';

export type FamezRefResults =
  | { measured: false; note: string }
  | {
      measured: true;
      checkout: string;
      python: string;
      affinity: string;
      fameZ: RoundTrip;
      famez: RoundTrip;
      /** famez's messages/s / FAME-Z's, per round. */
      ratio: Spread;
      reps: Array<{ fameZ: RoundTrip; famez: RoundTrip }>;
    };

const STAND_IN = `# A stand-in for klein (FAME-Z's REST API): routes nothing, serves an empty resource.
from twisted.web.resource import Resource
class Klein:
    def route(self, *args, **kwargs):
        return lambda function: function
    def resource(self):
        return Resource()
`;

/** FAME-Z's server on CPU 0, once its socket exists: the socket and a stop that removes what it leaves. */
async function fameZServer(checkout: string, python: string, tmp: string) {
  const stub = join(tmp, 'famez-ref-stub');
  mkdirSync(stub, { recursive: true });
  writeFileSync(join(stub, 'klein.py'), STAND_IN);
  const socket = join(tmp, 'famez-ref.sock');
  const mailbox = `famez-bench-ref-${process.pid}`;
  const script = join(checkout, 'ivshmsg_server.py');
  if (!existsSync(script))
    throw new Error(`--famez-ref ${checkout}: no ivshmsg_server.py there: give the folder of a FAME-Z checkout`);
  const child = start(
    PIN[0]!,
    [...PIN.slice(1), python, script, '-S', socket, '-M', mailbox],
    { cwd: checkout, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, PYTHONPATH: stub } },
    'TERM',
  );
  let said = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    said = (said + chunk.toString()).slice(-2000);
  });
  const stop = async (): Promise<void> => {
    child.kill('SIGTERM');
    await stopped(child);
    for (const left of [socket, `${socket}.lock`, `/dev/shm/${mailbox}`]) rmSync(left, { force: true });
  };
  const deadline = Date.now() + 20_000;
  while (!existsSync(socket)) {
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(
        `--famez-ref: ${python} ${script} did not start (${child.exitCode ?? child.signalCode ?? 'no socket in 20 s'}); it said: ${said.trim().split('\n').slice(-3).join(' | ')}`,
      );
    }
    await sleep(50);
  }
  return { socket, stop };
}

export async function famezRef(
  checkout: string | undefined,
  python: string,
  tmp: string,
  plan: MessagePlan,
  log: (text: string) => void,
): Promise<FamezRefResults> {
  if (checkout === undefined)
    return {
      measured: false,
      note: "not measured: give --famez-ref DIR (a FAME-Z checkout) to measure FAME-Z's switch",
    };
  const binary = compile();
  const fameZ = await fameZServer(checkout, python, tmp);
  const ours = await fabric(tmp, 'famez-ref-ours', PIN).catch(async (error: unknown) => {
    await fameZ.stop();
    throw error;
  });
  const reps: Array<{ fameZ: RoundTrip; famez: RoundTrip }> = [];
  try {
    for (let rep = 0; rep < plan.reps; rep++) {
      const order = rep % 2 === 0 ? (['fameZ', 'famez'] as const) : (['famez', 'fameZ'] as const);
      const round = {} as { fameZ: RoundTrip; famez: RoundTrip };
      for (const side of order)
        round[side] = await pingRun(binary, side === 'fameZ' ? fameZ.socket : ours.socket, 15, plan);
      reps.push(round);
      log(
        `FAME-Z's switch #${rep + 1}: ${round.fameZ.medianUs.toFixed(1)} us (${Math.round(round.fameZ.perSecond)} messages/s), famez's ${round.famez.medianUs.toFixed(1)} us`,
      );
    }
  } finally {
    await Promise.all([fameZ.stop(), ours.stop()]);
  }
  return {
    measured: true,
    checkout,
    python,
    affinity: "FAME-Z's server (or famez fabric) and the C peer on CPU 0 (taskset -c 0)",
    fameZ: medianTrip(reps.map((r) => r.fameZ)),
    famez: medianTrip(reps.map((r) => r.famez)),
    ratio: spread(reps.map((r) => r.famez.perSecond / r.fameZ.perSecond)),
    reps,
  };
}

export function famezRefReport(r: FamezRefResults): string {
  if (!r.measured) return `\nFAME-Z's switch: ${r.note}`;
  return (
    `\nFAME-Z's switch (${r.affinity}; median of ${r.reps.length} alternating rounds): ${r.fameZ.medianUs.toFixed(1)} us median, ` +
    `p99 ${r.fameZ.p99Us.toFixed(1)} us, ${Math.round(r.fameZ.perSecond)} messages/s; famez's switch ${r.famez.medianUs.toFixed(1)} us, ` +
    `${Math.round(r.famez.perSecond)} messages/s: ${r.ratio.median.toFixed(2)}x the messages/s (${r.ratio.min.toFixed(2)}-${r.ratio.max.toFixed(2)})`
  );
}
