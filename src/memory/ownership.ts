// Existing memory objects and files are trusted only when they are famez's:
// owned by its uid and writable by no one else. Someone else's object at a
// shared name (/dev/shm is world-writable) would let that user read and change
// everything the peers share. New ones are made with O_EXCL and O_NOFOLLOW,
// so there is no check-then-open race.
import { constants, fstatSync, openSync } from 'node:fs';

/** Thrown when the memory cannot be used as asked; the message says what to do. */
export class BackingError extends Error {
  override name = 'BackingError';
}

/** The option that accepts an existing object that fails the check (famez server's spelling). */
export const TRUST_OPTION = '--trust-existing-memory';

/**
 * Refuses an existing object (open as `fd`) that another uid owns or that
 * group or others may write. `fix` says what else to do, e.g. "remove it".
 */
export function checkOwnership(fd: number, what: string, fix: string): void {
  const stats = fstatSync(fd);
  const uid = process.geteuid?.() ?? 0;
  if (stats.uid !== uid) {
    throw new BackingError(
      `${what} exists and belongs to uid ${stats.uid}, not to famez's uid ${uid} (that user could read and change ` +
        `what the peers share): ${fix}`,
    );
  }
  const mode = stats.mode & 0o777;
  if ((mode & 0o022) !== 0) {
    throw new BackingError(
      `${what} exists with mode 0${mode.toString(8)}: group or others may write it: chmod go-w it if it is yours, or ${fix}`,
    );
  }
}

/**
 * Opens a regular file without following a symlink; `create`: a new one only
 * (O_EXCL), mode 0600. O_NONBLOCK: a FIFO planted at the path cannot block the
 * open (it does nothing to a regular file).
 */
export function openFileNoFollow(path: string, create: boolean): number {
  const flags =
    constants.O_RDWR |
    constants.O_NOFOLLOW |
    constants.O_NONBLOCK |
    (create ? constants.O_CREAT | constants.O_EXCL : 0);
  return openSync(path, flags, 0o600);
}
