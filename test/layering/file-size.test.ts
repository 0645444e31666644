// No TypeScript source over 300 lines, no C unit over 400 (issue 22).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { lineCount, sizeViolations, sourceSizes, type SourceSize } from './file-size.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Files allowed over their limit (none); the test fails on an entry that is no longer over. */
const ALLOWED_OVERSIZE: readonly string[] = [];

test('no TypeScript source in src/ and bench/ over 300 lines, no C unit over 400', { timeout: 30_000 }, () => {
  const sizes = sourceSizes(ROOT);
  assert.ok(
    sizes.some((s) => s.file === 'src/index.ts') && sizes.some((s) => s.file.endsWith('.c')),
    'the sources were found',
  );
  assert.deepEqual(sizeViolations(sizes, ALLOWED_OVERSIZE), []);
});

test('the size check: a planted file over its limit fails, one at it passes, a stale allow-list entry fails', {
  timeout: 5_000,
}, () => {
  const sizes: SourceSize[] = [
    { file: 'src/a.ts', lines: 300, maxLines: 300 },
    { file: 'src/b.ts', lines: 301, maxLines: 300 },
    { file: 'native/c.c', lines: 401, maxLines: 400 },
  ];
  assert.deepEqual(sizeViolations(sizes, ['native/c.c']), ['src/b.ts: 301 lines, over 300: split it by concern']);
  assert.deepEqual(sizeViolations(sizes, ['src/b.ts', 'native/c.c', 'src/a.ts']), [
    'src/a.ts is on the size allow-list but is not over its limit (or is gone): take it off the list',
  ]);
  assert.equal(lineCount('a\nb\n'), 2);
  assert.equal(lineCount('a\nb'), 2);
  assert.equal(lineCount(''), 0);
});
