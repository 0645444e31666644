// The shared memory handed to every peer: a POSIX shm object, a regular file
// (persistent), a file in a directory such as hugetlbfs, or an anonymous memfd.
import { unlinkSync } from 'node:fs';
import * as sys from '../sys/index.js';
import { BackingError, checkOwnership, openFileNoFollow, TRUST_OPTION } from './ownership.js';
import { formatSize, isPowerOfTwo, MAX_SIZE, MIN_SIZE, nextPowerOfTwo } from './size.js';

export { BackingError };

/**
 * `trustExisting`: use an existing object even when another uid owns it or
 * others may write it (refused by default). `exclusive` (file): only a new
 * file will do; an existing one is an error.
 */
export type BackingSpec =
  | { kind: 'shm'; name: string; size?: number; truncate?: boolean; trustExisting?: boolean }
  | { kind: 'file'; path: string; size?: number; truncate?: boolean; trustExisting?: boolean; exclusive?: boolean }
  | { kind: 'directory'; path: string; size?: number }
  | { kind: 'memfd'; size?: number };

export interface Backing {
  readonly fd: sys.Fd;
  readonly size: number;
  readonly kind: BackingSpec['kind'];
  /** Where it lives, for logs: "shm ivshmem", "file /data/fam.img". */
  readonly description: string;
  /** This open made the object (it did not exist before). */
  readonly created: boolean;
  /** Flushes a file backing to disk (a no-op for memory-only kinds). */
  sync(): void;
  close(): void;
  /** Removes the object's name if this open made it (after a failed start; call after close). */
  removeIfCreated(): void;
}

export const DEFAULT_SIZE = 4 * 1024 ** 2;

/**
 * Opens or creates the backing. A new object of a size that is not a power of
 * two is rounded up (QEMU aborts otherwise) and `warn` is told. An existing
 * object keeps its contents: reused at its own size, refused if that differs
 * from `size` unless `truncate` is set.
 */
export function openBacking(spec: BackingSpec, warn: (message: string) => void = () => {}): Backing {
  const requested = spec.size === undefined ? undefined : roundedSize(spec.size, warn);
  switch (spec.kind) {
    case 'shm': {
      const name = spec.name.startsWith('/') ? spec.name : `/${spec.name}`;
      const what = `shared memory ${name}`;
      const opened = openNew(
        () => sys.shmOpen(name, { create: true, exclusive: true }, 0o600),
        () => sys.shmOpen(name, {}, 0o600),
        what,
      );
      if (!opened.created) trust(opened.fd, spec, what, `remove it (rm /dev/shm${name}) or name another with -M`);
      return adopt(opened, spec.kind, `shm ${spec.name}`, requested, spec.truncate ?? false, false, () =>
        sys.shmUnlink(name),
      );
    }
    case 'file': {
      const what = `backing file ${spec.path}`;
      const opened = openNew(
        () => openFileNoFollow(spec.path, true),
        spec.exclusive ? undefined : () => openFileNoFollow(spec.path, false),
        what,
      );
      if (!opened.created) trust(opened.fd, spec, what, 'remove it or name another');
      return adopt(opened, spec.kind, `file ${spec.path}`, requested, spec.truncate ?? false, true, () =>
        unlinkSync(spec.path),
      );
    }
    case 'directory': {
      const fd = wrap(() => sys.openInDirectory(spec.path), `memory directory ${spec.path}`);
      return adopt({ fd, created: false }, spec.kind, `directory ${spec.path}`, requested ?? DEFAULT_SIZE, true, false);
    }
    case 'memfd': {
      const fd = wrap(() => sys.memfdCreate('famez'), 'memfd');
      return adopt({ fd, created: false }, spec.kind, 'memfd', requested ?? DEFAULT_SIZE, true, false);
    }
  }
}

interface Opened {
  fd: sys.Fd;
  created: boolean;
}

/** Creates the object exclusively; when it exists, opens the existing one (if `existing` is given). */
function openNew(create: () => sys.Fd, existing: (() => sys.Fd) | undefined, what: string): Opened {
  try {
    return { fd: create(), created: true };
  } catch (error) {
    if (!existing || (error as NodeJS.ErrnoException).code !== 'EEXIST') throw openError(error, what);
  }
  try {
    return { fd: existing(), created: false };
  } catch (error) {
    throw openError(error, what);
  }
}

function openError(error: unknown, what: string): BackingError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ELOOP') return new BackingError(`cannot open ${what}: it is a symlink: name the file itself`);
  if (code === 'EEXIST')
    return new BackingError(
      `cannot create ${what}: it appeared while famez was starting (someone else made it): remove it and start again`,
    );
  return new BackingError(`cannot open ${what}: ${sys.systemReason(error)}${OPEN_ADVICE[code ?? ''] ?? ''}`);
}

/** What to do about a failed open, by errno. */
const OPEN_ADVICE: Record<string, string> = {
  ENOENT: ': its directory does not exist: create it, or name another',
  EACCES: ': famez may not open or create it: fix its permissions, or name another',
  EPERM: ': famez may not open or create it: fix its permissions, or name another',
  ENAMETOOLONG: ': the name is too long: name a shorter one',
  EISDIR: ': it is a directory: name a file',
  ENOTDIR: ': a part of its path is not a directory: name another',
  EROFS: ': the file system is read-only: name another place',
  ENOSPC: ': no space left: free some, or name another place',
};

/** Refuses an existing object that is not famez's own, unless the spec trusts it. */
function trust(fd: sys.Fd, spec: { trustExisting?: boolean }, what: string, fix: string): void {
  if (spec.trustExisting) return;
  try {
    checkOwnership(fd, what, `${fix}, or give ${TRUST_OPTION} if you trust it`);
  } catch (error) {
    sys.close(fd);
    throw error;
  }
}

function roundedSize(size: number, warn: (message: string) => void): number {
  if (!Number.isSafeInteger(size) || size < MIN_SIZE || size > MAX_SIZE) {
    throw new BackingError(`memory size ${size} is out of range: it must be from 4 KiB to 16 TiB`);
  }
  const rounded = nextPowerOfTwo(size);
  if (rounded !== size) {
    warn(`memory size ${formatSize(size)} is not a power of two (QEMU requires one): using ${formatSize(rounded)}`);
  }
  return rounded;
}

function wrap(open: () => sys.Fd, what: string): sys.Fd {
  try {
    return open();
  } catch (error) {
    throw openError(error, what);
  }
}

function adopt(
  opened: Opened,
  kind: BackingSpec['kind'],
  description: string,
  requested: number | undefined,
  truncate: boolean,
  persistent: boolean,
  unlink?: () => void,
): Backing {
  const { fd, created } = opened;
  const removeIfCreated = (): void => {
    if (!created || !unlink) return;
    try {
      unlink();
    } catch {
      /* gone already */
    }
  };
  try {
    const existing = sys.stat(fd);
    if (existing.type !== 'file' && kind === 'file') {
      throw new BackingError(`${description} is not a regular file: name a regular file to back the memory`);
    }
    const size = chooseSize(description, existing.size, requested, truncate);
    // ftruncate only grows a new (empty) object or resizes on --truncate;
    // a regular file grows sparse.
    if (size !== existing.size) sys.truncate(fd, size);
    return {
      fd,
      size,
      kind,
      description,
      created,
      removeIfCreated,
      sync: () => {
        if (persistent) sys.fsync(fd);
      },
      close: () => sys.close(fd),
    };
  } catch (error) {
    sys.close(fd);
    removeIfCreated();
    throw error instanceof BackingError
      ? error
      : new BackingError(`cannot size ${description}: ${(error as Error).message}`);
  }
}

function chooseSize(description: string, existing: number, requested: number | undefined, truncate: boolean): number {
  if (existing === 0) return requested ?? DEFAULT_SIZE;
  if (requested === undefined || requested === existing) {
    if (!isPowerOfTwo(existing)) {
      throw new BackingError(
        `${description} has ${existing} bytes, not a power of two (QEMU would abort): resize it, or pass a size with --truncate to resize it`,
      );
    }
    return existing;
  }
  if (!truncate) {
    throw new BackingError(
      `${description} exists with ${formatSize(existing)}, not the ${formatSize(requested)} asked for: ` +
        `omit the size to use it as it is, or add --truncate to resize it (data past the new size is lost)`,
    );
  }
  return requested;
}
