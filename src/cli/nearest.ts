// "Did you mean": the known word nearest a mistyped one, for options,
// commands and console commands alike.

/** Edits (insert, delete, substitute, swap two neighbours: the usual typos) from a to b. */
function distance(a: string, b: string): number {
  let before: number[] = [];
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        next[j] = Math.min(next[j]!, before[j - 2]! + 1);
    }
    before = row;
    row = next;
  }
  return row[b.length]!;
}

/**
 * The candidate nearest `word` when near enough to be a typo (edits in a third
 * of its letters at most); a mistyped start of a longer name counts too
 * (`--sockt`: `--socketpath`), a little behind a whole match.
 */
export function nearest(word: string, candidates: Iterable<string>): string | undefined {
  let best: { candidate: string; cost: number } | undefined;
  const typed = word.toLowerCase();
  for (const candidate of candidates) {
    const name = candidate.toLowerCase();
    const start = name.slice(0, typed.length + 1);
    const cost = Math.min(distance(typed, name), start === name ? Infinity : distance(typed, start) + 0.5);
    if (!best || cost < best.cost) best = { candidate, cost };
  }
  return best && best.cost > 0 && best.cost <= Math.max(1, Math.floor(word.length / 3)) ? best.candidate : undefined;
}

/** ` (did you mean X?)`, or '' when no candidate is near. */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const near = nearest(word, candidates);
  return near === undefined ? '' : `: did you mean ${near}?`;
}

/** A console's answer to a line it does not know: the nearest of its `verbs` to the first word, then help. */
export function unknownCommand(line: string, verbs: Iterable<string>): string {
  return `unknown command "${line}"${didYouMean(line.split(/\s+/)[0] ?? '', verbs)}: try help`;
}
