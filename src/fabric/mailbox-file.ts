// Where the mailbox lives: a regular file, in /dev/shm unless a path is given.
// An existing file is reused only when it is a mailbox of the same geometry,
// famez's uid's and private (no access for group or others): any other file
// may be someone's data (a server's guest memory) or let others read the
// messages, so it is refused unless --overwrite-mailbox says to take it. A new
// one is created exclusively (O_EXCL, O_NOFOLLOW); one famez created is
// removed at a clean exit.
import { closeSync, fchmodSync, fstatSync, lstatSync, readSync, unlinkSync } from 'node:fs';
import { BUF_OFFSET, GLOBALS, SLOT_SIZE, type Geometry } from '../mailbox/layout.js';
import { BackingError, openFileNoFollow } from '../memory/ownership.js';
import type { BackingSpec } from '../memory/backing.js';
import { formatSize } from '../memory/size.js';

export const DEFAULT_MAILBOX = 'ivshmsg_mailbox';
/** The option that takes an existing file of the user's as the mailbox on purpose. */
export const OVERWRITE_OPTION = '--overwrite-mailbox';

const NOT_REGULAR = 'it exists and is not a regular file: remove it or name another with -M';

export interface MailboxFile {
  path: string;
  spec: BackingSpec;
  /** famez creates it (and removes it at exit). */
  created: boolean;
  /** The existing file that was checked: the server must open this one. */
  checked?: { dev: number; ino: number };
}

export function mailboxPath(name: string): string {
  return name.includes('/') ? name : `/dev/shm/${name}`;
}

/**
 * Decides how to open the mailbox at `name` for `layout`; `overwrite` takes an
 * existing regular file of this uid whatever it holds (made 0600, reformatted).
 */
export function planMailboxFile(name: string, layout: Geometry, overwrite = false): MailboxFile {
  const path = mailboxPath(name);
  let found;
  try {
    found = lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw refusal(path, (error as Error).message);
    return { path, spec: { kind: 'file', path, size: layout.size, exclusive: true }, created: true };
  }
  if (found.isSymbolicLink()) throw refusal(path, 'it is a symlink: name the file itself with -M');
  if (!found.isFile()) throw refusal(path, NOT_REGULAR);
  let fd: number;
  try {
    fd = openFileNoFollow(path, false);
  } catch (error) {
    throw refusal(path, (error as Error).message);
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw refusal(path, NOT_REGULAR);
    const uid = process.geteuid?.() ?? 0;
    if (stats.uid !== uid) {
      throw refusal(
        path,
        `it belongs to uid ${stats.uid}, not to famez's uid ${uid} (famez never writes another user's file): ` +
          'name another with -M',
      );
    }
    const checked = { dev: stats.dev, ino: stats.ino };
    const spec: BackingSpec = { kind: 'file', path, size: layout.size, truncate: true };
    if (overwrite) {
      fchmodSync(fd, 0o600);
      return { path, spec, created: false, checked };
    }
    const mode = stats.mode & 0o777;
    if ((mode & 0o077) !== 0) {
      throw refusal(
        path,
        `it exists with mode 0${mode.toString(8)}: group or others may read or write it (every message): ` +
          `chmod 0600 it if it is a mailbox of yours, give ${OVERWRITE_OPTION} to take it anyway, or name another with -M`,
      );
    }
    const why = notThisMailbox(fd, stats.size, layout);
    if (why) {
      throw refusal(
        path,
        `it exists and is ${why}: famez reformats only its own mailbox of the same size: ` +
          `give ${OVERWRITE_OPTION} to reformat it (its contents are lost), remove it, or name another with -M`,
      );
    }
    return { path, spec, created: false, checked };
  } finally {
    closeSync(fd);
  }
}

/** Why the open file is not a mailbox of `layout` (undefined when it is one). */
function notThisMailbox(fd: number, size: number, layout: Geometry): string | undefined {
  if (size !== layout.size)
    return `${formatSize(size)}, not the ${formatSize(layout.size)} of ${layout.nClients} clients`;
  const globals = Buffer.alloc(GLOBALS.serverId + 8);
  if (readSync(fd, globals, 0, globals.length, 0) !== globals.length) return 'too short';
  const want = [SLOT_SIZE, BUF_OFFSET, layout.nClients, layout.nEvents, layout.serverId];
  const found = want.map((_, i) => Number(globals.readBigUInt64LE(i * 8)));
  return found.every((value, i) => value === want[i])
    ? undefined
    : `not a mailbox of ${layout.nClients} clients (its first words are ${found.join(', ')})`;
}

function refusal(path: string, why: string): BackingError {
  return new BackingError(`cannot use mailbox ${path}: ${why}`);
}

/** Refuses a server memory that is not the file checked (it was replaced meanwhile). */
export function assertChecked(file: MailboxFile, fd: number): void {
  if (!file.checked) return;
  const stats = fstatSync(fd);
  if (stats.dev !== file.checked.dev || stats.ino !== file.checked.ino)
    throw refusal(file.path, 'it was replaced while famez was starting: start again');
}

/** Removes a mailbox famez created; a missing file is no error. */
export function removeMailboxFile(file: MailboxFile): void {
  if (!file.created) return;
  try {
    unlinkSync(file.path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
