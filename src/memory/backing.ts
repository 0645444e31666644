// The shared memory handed to every peer: a POSIX shm object, a regular file
// (persistent), a file in a directory such as hugetlbfs, or an anonymous memfd.
import * as sys from '../sys/index.js';
import { formatSize, isPowerOfTwo, MAX_SIZE, MIN_SIZE, nextPowerOfTwo } from './size.js';

export type BackingSpec =
  | { kind: 'shm'; name: string; size?: number; truncate?: boolean }
  | { kind: 'file'; path: string; size?: number; truncate?: boolean }
  | { kind: 'directory'; path: string; size?: number }
  | { kind: 'memfd'; size?: number };

export interface Backing {
  readonly fd: sys.Fd;
  readonly size: number;
  readonly kind: BackingSpec['kind'];
  /** Where it lives, for logs: "shm ivshmem", "file /data/fam.img". */
  readonly description: string;
  /** Flushes a file backing to disk (a no-op for memory-only kinds). */
  sync(): void;
  close(): void;
}

export const DEFAULT_SIZE = 4 * 1024 ** 2;

/** Thrown when the memory cannot be used as asked; the message says what to do. */
export class BackingError extends Error {
  override name = 'BackingError';
}

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
      const fd = wrap(() => sys.shmOpen(name, { create: true }, 0o600), `shared memory ${name}`);
      return adopt(fd, spec.kind, `shm ${spec.name}`, requested, spec.truncate ?? false, false);
    }
    case 'file': {
      const fd = wrap(() => sys.openFile(spec.path, { create: true }, 0o600), `backing file ${spec.path}`);
      return adopt(fd, spec.kind, `file ${spec.path}`, requested, spec.truncate ?? false, true);
    }
    case 'directory': {
      const fd = wrap(() => sys.openInDirectory(spec.path), `memory directory ${spec.path}`);
      return adopt(fd, spec.kind, `directory ${spec.path}`, requested ?? DEFAULT_SIZE, true, false);
    }
    case 'memfd': {
      const fd = wrap(() => sys.memfdCreate('famez'), 'memfd');
      return adopt(fd, spec.kind, 'memfd', requested ?? DEFAULT_SIZE, true, false);
    }
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
    throw new BackingError(`cannot open ${what}: ${(error as Error).message}`);
  }
}

function adopt(fd: sys.Fd, kind: BackingSpec['kind'], description: string, requested: number | undefined,
  truncate: boolean, persistent: boolean): Backing {
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
      fd, size, kind, description,
      sync: () => { if (persistent) sys.fsync(fd); },
      close: () => sys.close(fd),
    };
  } catch (error) {
    sys.close(fd);
    throw error instanceof BackingError ? error : new BackingError(`cannot size ${description}: ${(error as Error).message}`);
  }
}

function chooseSize(description: string, existing: number, requested: number | undefined, truncate: boolean): number {
  if (existing === 0) return requested ?? DEFAULT_SIZE;
  if (requested === undefined || requested === existing) {
    if (!isPowerOfTwo(existing)) {
      throw new BackingError(`${description} has ${existing} bytes, not a power of two (QEMU would abort): resize it, or pass a size with --truncate to resize it`);
    }
    return existing;
  }
  if (!truncate) {
    throw new BackingError(`${description} exists with ${formatSize(existing)}, not the ${formatSize(requested)} asked for: ` +
      `omit the size to use it as it is, or add --truncate to resize it (data past the new size is lost)`);
  }
  return requested;
}
