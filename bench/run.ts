// famez benchmarks: `npm run bench` (full, a few minutes) or `npm run bench -- --quick`.
//   1. doorbell round trip between two famez clients in two processes, pinned
//      to one CPU and unpinned, beside the C floor (bench/eventfd-pingpong.c)
//      and, to show where the difference goes, two Node peers using src/sys
//      only (children/raw-peer) and C making the same system calls as Node;
//   2. one-way doorbell throughput;
//   3. join scaling: N raw peers join a fresh `famez server` one by one;
//   4. idle cost: server CPU time with 100 silent peers;
//   5. the fabric's message path: famez's switch against the C peer floor and
//      the C switch (messages, senders), the web's cost, FAME-Z's switch.
// One file per section (latency, throughput, switched, messages, web, join,
// idle; plan.ts holds what they share); this one parses the options, runs the
// sections asked for, and writes bench/results/latest.json and latest.svg
// (quick.* with --quick or --only) with goals.ts and report.ts, and prints a table.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { goals, type Results } from './goals.js';
import { idle } from './idle.js';
import { joinScaling } from './join.js';
import { latency } from './latency.js';
import { clusterBench } from './cluster.js';
import { famezRef } from './famez-ref.js';
import { fdLimits, installCleanup, ROOT } from './lib.js';
import { messagePath } from './messages.js';
import { PLANS, type BenchContext } from './plan.js';
import { report, type RunMode } from './report.js';
import { svg } from './results-chart.js';
import { switchedCost } from './switched.js';
import { throughput } from './throughput.js';
import { webCost } from './web.js';

const SECTIONS = [
  'latency',
  'throughput',
  'switched',
  'messages',
  'famez-ref',
  'web',
  'join',
  'idle',
  'cluster',
] as const;
type Section = (typeof SECTIONS)[number];

const { values: options } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    redraw: { type: 'boolean', default: false },
    'famez-ref': { type: 'string' },
    'famez-python': { type: 'string', default: 'python3' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (options.help) {
  process.stdout.write(`Usage: npm run bench [-- --quick] [-- --only ${SECTIONS.join(',')}]
  --quick   fewer rounds, shorter windows, N up to 256 (under a minute); writes bench/results/quick.*
  --only    run only these sections (comma-separated); writes bench/results/quick.*
  --redraw  measure nothing: redraw the chart and table from bench/results/latest.json (quick.json with --quick)
  --famez-ref DIR      a FAME-Z checkout: measure its switch (ivshmsg_server.py) beside famez's; without it
                       the famez-ref row says "not measured"
  --famez-python PATH  the python3 with Twisted, attr and daemonize for FAME-Z (default python3)
`);
  process.exit(0);
}
const only = new Set((options.only ?? SECTIONS.join(',')).split(',').map((s) => s.trim()) as Section[]);
for (const section of only) {
  if (!SECTIONS.includes(section)) throw new Error(`--only: unknown section "${section}" (${SECTIONS.join(', ')})`);
}
const famezCheckout = options['famez-ref'];
if (famezCheckout !== undefined && !existsSync(join(famezCheckout, 'ivshmsg_server.py'))) {
  // Said before anything is measured, not at the end of a long run.
  process.stderr.write(
    `bench: --famez-ref ${famezCheckout}: no ivshmsg_server.py there: give the folder of a FAME-Z checkout (github.com/coloroco/FAME-Z)\n`,
  );
  process.exit(2);
}
const quick = options.quick;
let full = !quick && options.only === undefined;
const PLAN = quick ? PLANS.quick : PLANS.full;

const tmp = mkdtempSync(join(tmpdir(), 'famez-bench-'));
installCleanup(() => rmSync(tmp, { recursive: true, force: true }));
const limits = fdLimits();

function log(text: string): void {
  process.stderr.write(`bench: ${text}\n`);
}
const ctx: BenchContext = { plan: PLAN, tmp, log };
const mode = (): RunMode => (full ? 'full' : quick ? 'quick' : 'partial');

// ---- the machine ---------------------------------------------------------

function machine(): Record<string, unknown> {
  const model =
    /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpus()[0]?.model ?? 'unknown';
  const gcc = (() => {
    try {
      return execFileSync('gcc', ['--version'], { encoding: 'utf8' }).split('\n')[0];
    } catch {
      return undefined;
    }
  })();
  return {
    cpu: model.trim(),
    nproc: Number(execFileSync('nproc', { encoding: 'utf8' }).trim()),
    kernel: release(),
    node: process.version,
    gcc,
    fdLimit: { soft: limits.soft, hard: limits.hard },
    date: new Date().toISOString(),
  };
}

// ---- main ----------------------------------------------------------------

const outDir = join(ROOT, 'bench/results');
if (options.redraw) {
  const base = join(outDir, quick ? 'quick' : 'latest');
  const saved = JSON.parse(readFileSync(`${base}.json`, 'utf8')) as Results & {
    machine: Record<string, unknown>;
    mode: string;
  };
  // Written before ratios were taken per round (issue 23): its rows lack what the table prints.
  if ((saved.latency && !saved.latency.pinned.ratios) || (saved.messages && !saved.messages.roundTrip.ratio)) {
    process.stderr.write(
      `bench: ${base}.json was written by an older bench (no per-round ratios): run the bench again to rewrite it\n`,
    );
    process.exit(1);
  }
  full = saved.mode === 'full';
  writeFileSync(`${base}.svg`, svg(saved, saved.machine, mode()));
  process.stdout.write(report(saved, saved.machine, goals(saved), mode()));
  process.stdout.write(`\nredrew ${base}.svg from ${base}.json\n`);
  process.exit(0);
}
const m = machine();
const results: Results = {};
const began = Date.now();
if (only.has('latency')) results.latency = await latency(ctx);
if (only.has('throughput')) results.throughput = await throughput(ctx);
if (only.has('switched')) results.switched = await switchedCost(ctx);
if (only.has('messages')) results.messages = await messagePath(tmp, PLAN, log);
if (only.has('famez-ref')) results.famezRef = await famezRef(famezCheckout, options['famez-python'], tmp, PLAN, log);
if (only.has('web')) results.web = await webCost(tmp, PLAN, log);
if (only.has('join')) results.join = await joinScaling(ctx);
if (only.has('idle')) results.idle = await idle(ctx);
if (only.has('cluster')) results.cluster = await clusterBench(ctx);
const goalList = goals(results);
mkdirSync(outDir, { recursive: true });
const base = join(outDir, full ? 'latest' : 'quick');
writeFileSync(
  `${base}.json`,
  JSON.stringify(
    {
      mode: mode(),
      machine: m,
      plan: PLAN,
      durationSeconds: (Date.now() - began) / 1000,
      goals: goalList,
      ...results,
    },
    null,
    2,
  ) + '\n',
);
writeFileSync(`${base}.svg`, svg(results, m, mode()));
process.stdout.write(report(results, m, goalList, mode()));
process.stdout.write(`\nwrote ${base}.json and ${base}.svg in ${((Date.now() - began) / 1000).toFixed(0)} s\n`);
