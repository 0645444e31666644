// Helpers for the install test: pack famez as `npm pack` does, and a PATH with
// no compiler, make or Python on it.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { accessSync, constants, cpSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import { delimiter, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** What `npm pack` reads; everything else in the checkout is left out. */
const PACK_INPUTS = [
  'package.json',
  'package-lock.json',
  'binding.gyp',
  'tsconfig.json',
  'native',
  'scripts',
  'src',
  'guest-agent',
  'systemd',
];

/** Runs a program to completion; throws with its output unless it exits 0. */
export function run(
  program: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; timeout?: number },
): SpawnSyncReturns<string> {
  const result = spawnSync(program, args, { ...options, encoding: 'utf8', timeout: options.timeout ?? 60_000 });
  if (result.status !== 0) {
    throw new Error(
      `${program} ${args.join(' ')} exited ${result.status ?? result.signal}${result.error ? ` (${result.error.message})` : ''}\n${result.stdout}\n${result.stderr}`,
    );
  }
  return result;
}

/** The environment without npm's per-run variables (npm test sets dozens). */
export function plainEnv(overrides: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name)));
  return { ...env, ...overrides };
}

/**
 * `npm pack` of a copy of the checkout's sources, into dir; the tarball's path.
 * A copy, because packing rebuilds build/ (node-gyp clears it) and dist/, which
 * tests running beside this one are loading.
 */
export function pack(dir: string): string {
  const copy = join(dir, 'famez');
  mkdirSync(copy);
  for (const name of PACK_INPUTS) cpSync(join(ROOT, name), join(copy, name), { recursive: true });
  linkModules(copy);
  run('npm', ['pack', '--pack-destination', dir], { cwd: copy, env: plainEnv({}), timeout: 120_000 });
  const tarballs = readdirSync(dir).filter((name) => name.endsWith('.tgz'));
  if (tarballs.length !== 1) throw new Error(`npm pack left ${tarballs.join(', ') || 'no tarball'}`);
  return join(dir, tarballs[0]!);
}

/**
 * The checkout's node_modules for the copy: what the package bundles (its
 * runtime dependencies, all the way down) copied, the build tools linked. npm
 * leaves the dependencies of a bundled package out when they are reached
 * through a symlink that resolves outside the package, as a linked
 * node_modules does when the checkout lies in /tmp.
 */
function linkModules(copy: string): void {
  const modules = join(ROOT, 'node_modules');
  const runtime = new Set(
    run('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: ROOT, env: plainEnv({}) })
      .stdout.split('\n')
      .filter((path) => path.startsWith(`${modules}/`))
      .map((path) => relative(modules, path)),
  );
  const entries = readdirSync(modules).flatMap((name) =>
    name.startsWith('@') ? readdirSync(join(modules, name)).map((inner) => `${name}/${inner}`) : [name],
  );
  for (const name of entries) {
    const target = join(copy, 'node_modules', name);
    mkdirSync(dirname(target), { recursive: true });
    if (runtime.has(name)) cpSync(join(modules, name), target, { recursive: true });
    else symlinkSync(join(modules, name), target);
  }
}

/** The first executable called name on PATH. */
export function which(name: string): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // not here
    }
  }
  throw new Error(`${name} is not on PATH`);
}

/** A directory holding only node, npm, npx and sh: a PATH with no toolchain. */
export function toolchainFreeBin(dir: string): string {
  mkdirSync(dir);
  symlinkSync(process.execPath, join(dir, 'node'));
  for (const name of ['npm', 'npx', 'sh']) symlinkSync(which(name), join(dir, name));
  return dir;
}
