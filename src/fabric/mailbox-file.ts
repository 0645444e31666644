// Where the mailbox lives: a regular file, in /dev/shm unless a path is given.
// An existing one is reused only when it is a regular file large enough (its
// size is kept, never shrunk), famez's own and writable by no one else; a new
// one is created exclusively (O_EXCL, O_NOFOLLOW: one that appears meanwhile is
// refused, not reused); one famez created is removed at a clean exit.
import { lstatSync, unlinkSync } from 'node:fs';
import { BackingError, type BackingSpec } from '../memory/backing.js';
import { formatSize } from '../memory/size.js';

export const DEFAULT_MAILBOX = 'ivshmsg_mailbox';

export interface MailboxFile {
  path: string;
  spec: BackingSpec;
  /** famez creates it (and removes it at exit). */
  created: boolean;
}

export function mailboxPath(name: string): string {
  return name.includes('/') ? name : `/dev/shm/${name}`;
}

/** Decides how to open the mailbox at `name` for a memory of `size` bytes. */
export function planMailboxFile(name: string, size: number): MailboxFile {
  const path = mailboxPath(name);
  let existing;
  try {
    existing = lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new BackingError(`cannot use mailbox ${path}: ${(error as Error).message}`);
    return { path, spec: { kind: 'file', path, size, exclusive: true }, created: true };
  }
  if (!existing.isFile()) {
    throw new BackingError(`mailbox ${path} exists and is not a regular file: remove it or name another with -M`);
  }
  const uid = process.geteuid?.() ?? 0;
  if (existing.uid !== uid) {
    throw new BackingError(
      `mailbox ${path} exists and belongs to uid ${existing.uid}, not to famez's uid ${uid} (that user could read every message): ` +
        'remove it if it is stale, or name another with -M',
    );
  }
  if ((existing.mode & 0o022) !== 0) {
    throw new BackingError(
      `mailbox ${path} exists with mode 0${(existing.mode & 0o777).toString(8)}: group or others may write it: ` +
        'chmod go-w it if it is yours, or remove it, or name another with -M',
    );
  }
  if (existing.size < size) {
    throw new BackingError(
      `mailbox ${path} exists with ${formatSize(existing.size)}, less than the ${formatSize(size)} needed: ` +
        'remove it (famez creates it again) or name another with -M',
    );
  }
  return { path, spec: { kind: 'file', path }, created: false };
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
