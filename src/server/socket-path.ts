// Claiming the listening socket's path: a stale socket is replaced, a live
// server is never displaced, and nothing that is not a socket is removed.
import { lstatSync, readFileSync, unlinkSync, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';
import * as sys from '../sys/index.js';

export class SocketPathError extends Error {
  override name = 'SocketPathError';
}

/** Makes `path` free for a new socket; returns true if a stale socket was removed. */
export function clearSocketPath(path: string): boolean {
  let stats: Stats;
  try {
    stats = lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw listenError(path, error);
  }
  if (stats.isSymbolicLink()) {
    throw new SocketPathError(
      `socket path ${path} is a symbolic link; famez never follows one: remove it or choose another path with -S`,
    );
  }
  if (!stats.isSocket()) {
    throw new SocketPathError(
      `socket path ${path} exists and is not a socket: remove it or choose another path with -S`,
    );
  }
  if (listeningSockets().has(resolve(path))) {
    throw new SocketPathError(`another server is listening on ${path}: stop it first or choose another path with -S`);
  }
  // Not listed (another network namespace, or no /proc): ask the socket itself.
  let probe: sys.Fd;
  try {
    probe = sys.connect(path);
  } catch (error) {
    if (!sys.isSysError(error, 'ECONNREFUSED')) {
      throw new SocketPathError(`cannot check socket ${path}: ${(error as Error).message}`);
    }
    unlinkSync(path);
    return true;
  }
  sys.close(probe);
  throw new SocketPathError(`another server is listening on ${path}: stop it first or choose another path with -S`);
}

/** Longest path a UNIX socket address holds (sun_path is 108 bytes with its NUL). */
const MAX_SOCKET_PATH = 107;

/** A failure to create the listening socket at `path`, as one line naming the path and what to do. */
export function listenError(path: string, error: unknown): SocketPathError {
  const code = (error as NodeJS.ErrnoException).code;
  const other = 'choose another path with -S';
  switch (code) {
    case 'ENOENT':
      return new SocketPathError(
        `cannot listen on ${path}: the directory ${dirname(path)} does not exist: create it, or ${other}`,
      );
    case 'EACCES':
    case 'EPERM':
      return new SocketPathError(
        `cannot listen on ${path}: no permission to create a socket in ${dirname(path)}: ${other} in a directory you may write`,
      );
    case 'ENAMETOOLONG':
      return new SocketPathError(
        `cannot listen on ${path}: the path has ${Buffer.byteLength(path)} bytes, more than the ${MAX_SOCKET_PATH} ` +
          `a UNIX socket path may have: ${other}, shorter`,
      );
    case 'ENOTDIR':
      return new SocketPathError(`cannot listen on ${path}: a part of ${dirname(path)} is not a directory: ${other}`);
    case 'EROFS':
      return new SocketPathError(`cannot listen on ${path}: the file system is read-only: ${other}`);
    default:
      return new SocketPathError(`cannot listen on ${path}: ${sys.systemReason(error)}: ${other}`);
  }
}

/** Absolute paths of the listening UNIX sockets in this network namespace (from /proc/net/unix). */
export function listeningSockets(): Set<string> {
  const paths = new Set<string>();
  let table = '';
  try {
    table = readFileSync('/proc/net/unix', 'utf8');
  } catch {
    return paths;
  }
  const ACCEPTING = 0x10000; // __SO_ACCEPTCON: the socket listens
  for (const line of table.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    const path = fields[7];
    if (path?.startsWith('/') && (parseInt(fields[3] ?? '0', 16) & ACCEPTING) !== 0) paths.add(path);
  }
  return paths;
}

/** The identity of the socket file we created, to remove only our own. */
export function socketIdentity(path: string): { dev: number; ino: number } {
  const { dev, ino } = lstatSync(path);
  return { dev, ino };
}

export function removeOwnSocket(path: string, identity: { dev: number; ino: number }): void {
  try {
    const stats = lstatSync(path);
    if (stats.isSocket() && stats.dev === identity.dev && stats.ino === identity.ino) unlinkSync(path);
  } catch {
    // already gone
  }
}
