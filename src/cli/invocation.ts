// The commands famez prints for the user to run (hints, the lab's table) must
// work as printed from where the user is: `famez` only when that runs this
// famez, `npx famez` when the user went through npx, else this script's own
// absolute path (a clone without `npm link`).
import { accessSync, constants, realpathSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { NoServerError } from '../client/index.js';
import { MailboxError } from '../mailbox/index.js';
import { shellWord } from '../lab/qemu-args.js';
import { knownSockets } from './known-sockets.js';

function realpath(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Where `famez` on `path` (a PATH value) leads, if anywhere. */
function onPath(path: string): string | undefined {
  for (const dir of path.split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, 'famez');
    if (executable(candidate)) return realpath(candidate);
  }
  return undefined;
}

/**
 * The words that run this famez from the user's shell, e.g. `famez`,
 * `npx famez` or `/home/me/famez/dist/src/cli/main.js`.
 */
export function famezInvocation(
  env: NodeJS.ProcessEnv = process.env,
  script: string | undefined = process.argv[1],
): string {
  // npx adds node_modules/.bin to PATH for its child only: what worked is npx itself.
  if (env.npm_lifecycle_event === 'npx') return 'npx famez';
  if (script === undefined) return 'famez';
  const self = realpath(script) ?? resolve(script);
  if (onPath(env.PATH ?? '') === self) return 'famez';
  return executable(self) ? shellWord(self) : `node ${shellWord(self)}`;
}

/** `famez ARGS` as the user can run it (ARGS already shell words). */
export function famezCommand(args: string): string {
  return `${famezInvocation()} ${args}`;
}

/**
 * Connects with `connecting`; where no server listens, the error lists the
 * famez sockets that do exist (the path may be mistyped), then names the
 * command that starts the right one there (`famez fabric` for a chat), as
 * the user can run it; a server that is no fabric where a fabric was wanted,
 * the same command.
 */
export async function hintingStart<T>(
  connecting: Promise<T>,
  command: 'server' | 'fabric',
  defaultPath: string,
): Promise<T> {
  try {
    return await connecting;
  } catch (error) {
    if (error instanceof MailboxError && command === 'fabric')
      throw new MailboxError(`${error.message} (start one with ${famezCommand('fabric')})`);
    if (!(error instanceof NoServerError)) throw error;
    const at = error.path === defaultPath ? '' : ` -S ${shellWord(error.path)}`;
    const others = knownSockets().filter(({ path }) => path !== error.path);
    const listed = others.length
      ? `famez sockets here: ${others.map(({ path, what }) => `${shellWord(path)} (${what})`).join(', ')}: give one with -S; or `
      : '';
    throw new NoServerError(error.path, error.code, `${listed}start one with ${famezCommand(`${command}${at}`)}`);
  }
}
