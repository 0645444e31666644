// The famez sockets on this machine that a mistyped -S may have meant: the
// defaults of `famez server` and `famez fabric`, and the running lab's.
import { statSync } from 'node:fs';
import { DEFAULT_FABRIC_SOCKET } from '../fabric/common.js';
import { labFiles, labStateDir } from '../lab/paths.js';
import { DEFAULT_SOCKET_PATH } from '../protocol/message.js';

function isSocket(path: string): boolean {
  try {
    return statSync(path).isSocket();
  } catch {
    return false;
  }
}

/** Those that exist, each with whose it is. */
export function knownSockets(env: NodeJS.ProcessEnv = process.env): { path: string; what: string }[] {
  return [
    { path: DEFAULT_SOCKET_PATH, what: "famez server's default" },
    { path: DEFAULT_FABRIC_SOCKET, what: "famez fabric's default" },
    { path: labFiles(labStateDir(env)).socket, what: 'the running lab' },
  ].filter(({ path }) => isSocket(path));
}
