// Where the mailbox lives: a regular file, in /dev/shm unless a path is given.
// An existing one is reused only when it is a regular file large enough (its
// size is kept, never shrunk); one famez created is removed at a clean exit.
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
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new BackingError(`cannot use mailbox ${path}: ${(error as Error).message}`);
    return { path, spec: { kind: 'file', path, size }, created: true };
  }
  if (!existing.isFile()) {
    throw new BackingError(`mailbox ${path} exists and is not a regular file: remove it or name another with -M`);
  }
  if (existing.size < size) {
    throw new BackingError(`mailbox ${path} exists with ${formatSize(existing.size)}, less than the ${formatSize(size)} needed: ` +
      'remove it (famez creates it again) or name another with -M');
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
