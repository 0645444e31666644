// Options both `famez server` and `famez fabric` take: who may connect, the
// socket file's mode and group, the send queue bound, and the log format.
import type { ServerOptions } from '../server/server.js';
import { resolveIds } from './identity.js';
import { LOG_FORMATS, type LogFormat } from './logger.js';
import { choice, fileMode, integer } from './usage.js';

export const ACCESS_OPTIONS = {
  'max-queue': { type: 'string' },
  'socket-mode': { type: 'string' },
  'socket-group': { type: 'string' },
  'allow-uid': { type: 'string' },
  'allow-gid': { type: 'string' },
  'pid-file': { type: 'string', short: 'p' },
  'log-format': { type: 'string' },
} as const;

export const ACCESS_HELP = `      --max-queue N        messages queued for a peer that does not read before it is dropped
      --socket-mode MODE   socket file mode (default 0600)
      --socket-group GROUP socket file group (name or number)
      --allow-uid LIST     admit only these users (names or numbers, comma-separated)
      --allow-gid LIST     admit only these groups (a peer matching either list is admitted)
  -p, --pid-file PATH      write the server's pid here
      --log-format F       text (default) or json`;

type AccessValues = { [K in keyof typeof ACCESS_OPTIONS]?: string };

export function planAccess(
  values: AccessValues,
): Pick<ServerOptions, 'maxQueue' | 'socketMode' | 'socketGroup' | 'admit'> {
  const uids = values['allow-uid'] === undefined ? undefined : resolveIds('--allow-uid', values['allow-uid'], 'user');
  const gids = values['allow-gid'] === undefined ? undefined : resolveIds('--allow-gid', values['allow-gid'], 'group');
  const group = values['socket-group'];
  return {
    maxQueue: values['max-queue'] === undefined ? undefined : integer('--max-queue', values['max-queue'], 1, 1 << 24),
    socketMode: values['socket-mode'] === undefined ? 0o600 : fileMode('--socket-mode', values['socket-mode']),
    socketGroup: group === undefined ? undefined : resolveIds('--socket-group', group, 'group')[0],
    admit: uids || gids ? admitOnly(uids ?? [], gids ?? []) : undefined,
  };
}

export function logFormat(values: AccessValues): LogFormat {
  return values['log-format'] === undefined ? 'text' : choice('--log-format', values['log-format'], LOG_FORMATS);
}

function admitOnly(uids: number[], gids: number[]): NonNullable<ServerOptions['admit']> {
  return ({ uid, gid }) =>
    uids.includes(uid) || gids.includes(gid)
      ? undefined
      : `uid ${uid} / gid ${gid} is not in --allow-uid / --allow-gid`;
}
