// Without --cluster nothing of NATS is loaded: every module of famez is
// imported in a child whose resolver refuses any @nats-io package; then the
// same child joins a cluster and must hit the refusal (the check can fail).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const SRC = join(dirname(fileURLToPath(import.meta.url)), '../../src');

const HOOK = `export async function resolve(specifier, context, next) {
  if (specifier.startsWith('@nats-io/')) throw new Error('NATS LOADED: ' + specifier);
  return next(specifier, context);
}`;

function modules(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? modules(join(dir, entry.name)) : entry.name.endsWith('.js') ? [join(dir, entry.name)] : [],
  );
}

function runChild(body: string): { status: number | null; output: string } {
  const script = `import { register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(HOOK)}));
${body}`;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: child.status, output: `${child.stdout}${child.stderr}` };
}

test('importing every module of famez (the CLI commands included) loads nothing of NATS', { timeout: 90_000 }, () => {
  // main.js runs the CLI when imported (it is what the others make up); web/page is the browser's.
  const all = modules(SRC)
    .filter(
      (path) => relative(SRC, path) !== join('cli', 'main.js') && !relative(SRC, path).startsWith(join('web', 'page')),
    )
    .map((path) => pathToFileURL(path).href);
  assert.ok(
    all.some((url) => url.endsWith('/cluster/index.js')),
    'the cluster module is among them',
  );
  const { status, output } = runChild(`for (const url of ${JSON.stringify(all)}) await import(url);
console.log('imported', ${all.length});`);
  assert.equal(status, 0, output);
  assert.match(output, new RegExp(`imported ${all.length}`));
});

test('joining a cluster is what loads NATS (the refusing resolver sees it)', { timeout: 60_000 }, () => {
  const cluster = pathToFileURL(join(SRC, 'cluster/index.js')).href;
  const { output } = runChild(`const { ClusterNode } = await import(${JSON.stringify(cluster)});
await new ClusterNode({ url: 'nats://127.0.0.1:9', node: 'x' }, { range: { first: 0, last: 1 }, random: false }).join();`);
  assert.match(output, /NATS LOADED: @nats-io\/transport-node/);
});
