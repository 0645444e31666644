// What every section of the bench shares: the plan (rounds, windows, sizes),
// the goals (every ratio is the median of per-round ratios over `reps`
// alternating rounds, at least 5), where it runs (pinned to one CPU or not) and its scratch folder.
export const PLANS = {
  quick: {
    reps: 5,
    rounds: 3000,
    warmup: 500,
    throughputMs: 1000,
    floodSeconds: 0.5,
    joinPeers: [16, 64, 256],
    idlePeers: 100,
    idleSeconds: 2,
  },
  full: {
    reps: 7,
    rounds: 20000,
    warmup: 2000,
    throughputMs: 3000,
    floodSeconds: 2,
    joinPeers: [16, 64, 256, 1000],
    idlePeers: 100,
    idleSeconds: 10,
  },
};
export type Plan = typeof PLANS.full;
export const JOIN_VECTORS = [1, 8];
export const GOALS = {
  /** The event-loop round trip against Node's own floor (nodeSys: two Node peers on src/sys alone). */
  nodeSysRatio: 1.1,
  threadRatio: 1.15,
  switchRatio: 2,
  switchMessagesPerSecond: 100_000,
  /** famez's switch against the C switch, messages/s, senders pinned to one CPU. */
  switchFloorRatio: 0.9,
  webClientsRatio: 1.2,
  joinGrowth: 1.5,
  idleCpuSeconds: 0,
  clusterRatio: 1.3,
  fabricPeerVsC: 0.8,
  fourSenders: 3,
};

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
