// RSS of a server (and its clients, in the same process) after 10,000 and
// after 100,000 connect/leave cycles: memory per admitted connection must not
// stay behind (a watcher's callback once kept each peer alive: 59 MB grew to
// 116 MB over 8,000 cycles). One JSON line; goal: the later RSS within 10% of
// the earlier one.
//   node --expose-gc dist/bench/rss-cycles.js [cycles=100000]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '../src/client/index.js';
import { createServer } from '../src/server/index.js';

const total = Number(process.argv[2] ?? 100_000);
const early = Math.min(10_000, total);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

/** RSS in MB after the leavers are gone and the heap is collected. */
async function settledRss(server: ReturnType<typeof createServer>): Promise<number> {
  while (server.peers.size > 0) await new Promise((resolve) => setTimeout(resolve, 5));
  for (let i = 0; i < 4; i++) {
    gc!();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return Math.round(process.memoryUsage().rss / 1e5) / 10;
}

const dir = mkdtempSync(join(tmpdir(), 'famez-rss-'));
const path = join(dir, 'sock');
const server = createServer({ socketPath: path, memory: { kind: 'memfd', size: 1 << 16 }, vectors: 1 });
await server.listen();
const started = performance.now();
let rssEarly = 0;
try {
  for (let cycle = 1; cycle <= total; cycle++) {
    (await connect({ path, timeoutMs: 10_000 })).close();
    if (cycle % 1000 === 0) while (server.peers.size > 0) await new Promise((resolve) => setImmediate(resolve));
    if (cycle === early) rssEarly = await settledRss(server);
  }
  const rssLate = await settledRss(server);
  const ratio = Math.round((rssLate / rssEarly) * 1000) / 1000;
  console.log(
    JSON.stringify({
      bench: 'rss-cycles',
      cycles: total,
      rssMbAfter: { [early]: rssEarly, [total]: rssLate },
      ratio,
      goal: 'ratio <= 1.10',
      met: ratio <= 1.1,
      seconds: Math.round((performance.now() - started) / 100) / 10,
    }),
  );
} finally {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
}
