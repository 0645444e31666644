// What every section of the bench shares: the plan (rounds, windows, sizes),
// the goals, where it runs (pinned to one CPU or not) and its scratch folder.
export const PLANS = {
  quick: { reps: 1, rounds: 5000, warmup: 1000, throughputMs: 1000, floodSeconds: 1, joinPeers: [16, 64, 256], idlePeers: 100, idleSeconds: 2 },
  full: { reps: 3, rounds: 20000, warmup: 2000, throughputMs: 3000, floodSeconds: 3, joinPeers: [16, 64, 256, 1000], idlePeers: 100, idleSeconds: 10 },
};
export type Plan = typeof PLANS.full;
export const JOIN_VECTORS = [1, 8];
export const GOALS = { latencyRatio: 1.5, threadRatio: 1.3, switchRatio: 2, switchMessagesPerSecond: 100_000, webClientsRatio: 1.2, joinFlatness: 1.5, idleCpuSeconds: 0 };

export const PINNINGS = [
  { name: 'pinned', label: 'both processes on CPU 0 (taskset -c 0)', prefix: ['taskset', '-c', '0'] },
  { name: 'unpinned', label: 'no affinity set', prefix: [] as string[] },
] as const;

/** A run's plan, scratch folder and progress log, handed to every section. */
export interface BenchContext {
  plan: Plan;
  tmp: string;
  log: (text: string) => void;
}
