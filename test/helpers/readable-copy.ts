// A copy of the built library that any user can read, for children that run
// as another user (nobody): the checkout may lie under a directory only its
// owner can enter, such as root's home.
import { chmodSync, cpSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * Copies package.json, dist/src, the addon this checkout loads and
 * node-gyp-build (which loads it) into a new world-readable temp directory;
 * its path. `${path}/dist/src/index.js` is the library. The caller removes it.
 */
export function readableCopy(): string {
  const require = createRequire(import.meta.url);
  const addon = (require('node-gyp-build') as { path: (root: string) => string }).path(ROOT);
  const loader = dirname(require.resolve('node-gyp-build/package.json'));
  const copy = mkdtempSync(join(tmpdir(), 'famez-lib-'));
  for (const path of [join(ROOT, 'package.json'), join(ROOT, 'dist', 'src'), addon]) {
    cpSync(path, join(copy, relative(ROOT, path)), { recursive: true });
  }
  cpSync(loader, join(copy, 'node_modules', 'node-gyp-build'), { recursive: true });
  openToAll(copy);
  return copy;
}

/** Directories 0755, files readable by all (executables stay executable). */
function openToAll(path: string): void {
  const stats = statSync(path);
  if (stats.isDirectory()) {
    chmodSync(path, 0o755);
    for (const name of readdirSync(path)) openToAll(join(path, name));
  } else {
    chmodSync(path, (stats.mode & 0o777) | 0o444 | (stats.mode & 0o100 ? 0o111 : 0));
  }
}
