// A node's warnings, a line per kind of trouble every 10 s at most: a hostile
// or broken peer repeating itself cannot flood the log. `kind` is never remote
// text, so the kinds stay few.

/** Warns through `emit`, each kind at most once every `everyMs` by `now()`. */
export function limitedWarnings(
  now: () => number,
  emit: (line: string) => void,
  everyMs = 10_000,
): (kind: string, line: string) => void {
  const warned = new Map<string, number>();
  return (kind, line) => {
    const at = now();
    if (at - (warned.get(kind) ?? -Infinity) < everyMs) return;
    warned.set(kind, at);
    emit(line);
  };
}
