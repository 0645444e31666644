// npm test's first step, `biome ci .` with the project's biome.json, fails on
// a floating promise and on a formatting error, and passes the tree as it is:
// each bad file is checked alone in a copy of the configuration.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BIOME = join(ROOT, 'node_modules', '.bin', 'biome');

function biomeCi(cwd: string): { status: number | null; output: string } {
  const run = spawnSync(BIOME, ['ci', '--colors=off', '.'], { cwd, encoding: 'utf8', timeout: 60_000 });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

/** `biome ci` over a tree of one file, src/bad.ts, with the project's configuration. */
function checkAlone(source: string): { status: number | null; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'famez-lint-'));
  try {
    copyFileSync(join(ROOT, 'biome.json'), join(dir, 'biome.json'));
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'src', 'bad.ts'), source);
    return biomeCi(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('the lint step fails on a floating promise', { timeout: 60_000 }, () => {
  const { status, output } = checkAlone(
    'export async function later(): Promise<void> {}\n\nexport function now(): void {\n  later();\n}\n',
  );
  assert.notEqual(status, 0, output);
  assert.match(output, /noFloatingPromises/);
});

test('the lint step fails on a formatting error', { timeout: 60_000 }, () => {
  const { status, output } = checkAlone('export const  spaced = { a:1 };\n');
  assert.notEqual(status, 0, output);
  assert.match(output, /format/i);
});

test('the lint step passes the tree as it is', { timeout: 60_000 }, () => {
  const { status, output } = biomeCi(ROOT);
  assert.equal(status, 0, output);
});
