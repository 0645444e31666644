// Sizes as users write them: 4096, 4K, 64M, 5G, 1T (powers of 1024).

export const MIN_SIZE = 4 * 1024;
export const MAX_SIZE = 16 * 1024 ** 4;

const UNITS: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

/** Parses "64M" into bytes; throws a one-line error on anything else. */
export function parseSize(text: string): number {
  const match = /^\s*(\d+)\s*([KMGT]?)(?:i?B)?\s*$/i.exec(text);
  if (!match)
    throw new RangeError(`invalid size "${text}": use a number of bytes with an optional K, M, G or T suffix, e.g. 4M`);
  const bytes = Number(match[1]) * UNITS[match[2]!.toUpperCase()]!;
  if (!Number.isSafeInteger(bytes) || bytes < MIN_SIZE || bytes > MAX_SIZE) {
    throw new RangeError(`size "${text}" is out of range: it must be from 4K to 16T`);
  }
  return bytes;
}

export function isPowerOfTwo(n: number): boolean {
  return n > 0 && Number.isSafeInteger(n) && 2 ** Math.round(Math.log2(n)) === n;
}

export function nextPowerOfTwo(n: number): number {
  return isPowerOfTwo(n) ? n : 2 ** Math.ceil(Math.log2(n));
}

/** "8 GiB", "4 MiB", "4096 B" */
export function formatSize(bytes: number): string {
  for (const [unit, scale] of [
    ['TiB', 1024 ** 4],
    ['GiB', 1024 ** 3],
    ['MiB', 1024 ** 2],
    ['KiB', 1024],
  ] as const) {
    if (bytes >= scale && bytes % scale === 0) return `${bytes / scale} ${unit}`;
  }
  return `${bytes} B`;
}
