// A small seedable PRNG (mulberry32): the same seed gives the same drops,
// so a test or a lab run can be replayed.
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** How many of `count` trials survive, each with probability `keep`. */
export function survivors(count: number, keep: number, random: () => number): number {
  let kept = 0;
  for (let i = 0; i < count; i++) if (random() < keep) kept++;
  return kept;
}
