// Source files over their size limit: TypeScript in src/ and bench/ up to 300
// lines, C units up to 400 (tests and generated files aside).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { filesUnder } from './import-graph.js';

export interface SizeRule {
  folders: string[];
  extension: string;
  maxLines: number;
}

export const SIZE_RULES: SizeRule[] = [
  { folders: ['src', 'bench'], extension: '.ts', maxLines: 300 },
  { folders: ['native', 'guest-agent', 'bench'], extension: '.c', maxLines: 400 },
];

export interface SourceSize {
  file: string;
  lines: number;
  maxLines: number;
}

/** Lines as an editor numbers them (a last line without its newline counts). */
export function lineCount(text: string): number {
  return text === '' ? 0 : text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}

/** Every file the rules cover in the checkout at `root`, with its size and limit. */
export function sourceSizes(root: string, rules = SIZE_RULES): SourceSize[] {
  return rules.flatMap(({ folders, extension, maxLines }) =>
    folders
      .flatMap((folder) => filesUnder(root, folder, extension))
      .map((file) => ({ file, lines: lineCount(readFileSync(join(root, file), 'utf8')), maxLines })),
  );
}

/**
 * One line per file over its limit and not on `allowed`, and per file on
 * `allowed` that is no longer over it (or gone): the list only shrinks.
 */
export function sizeViolations(sizes: readonly SourceSize[], allowed: readonly string[]): string[] {
  const over = sizes.filter((s) => s.lines > s.maxLines);
  return [
    ...over
      .filter((s) => !allowed.includes(s.file))
      .map((s) => `${s.file}: ${s.lines} lines, over ${s.maxLines}: split it by concern`),
    ...allowed
      .filter((file) => !over.some((s) => s.file === file))
      .map((file) => `${file} is on the size allow-list but is not over its limit (or is gone): take it off the list`),
  ];
}
