// Shared-memory objects, files and mappings.
import { native, type OpenFlags } from './native.js';
import type { Fd } from './socket.js';

export type { OpenFlags };

export interface FdStat {
  size: number;
  /** Bytes actually allocated on disk (sparse files have fewer than size). */
  allocated: number;
  type: 'file' | 'socket' | 'other';
}

export const shmOpen = (name: string, flags: OpenFlags, mode = 0o600): Fd => native.shmOpen(name, flags, mode);
export const shmUnlink = (name: string): void => native.shmUnlink(name);
export const openFile = (path: string, flags: OpenFlags, mode = 0o600): Fd => native.openFile(path, flags, mode);
/** A file in `dir` (hugetlbfs, tmpfs) that is unlinked at once. */
export const openInDirectory = (dir: string): Fd => native.openInDirectory(dir);
export const memfdCreate = (name: string): Fd => native.memfdCreate(name);
export const truncate = (fd: Fd, size: number): void => native.ftruncate(fd, size);
export const allocate = (fd: Fd, offset: number, length: number): void => native.fallocate(fd, offset, length);
export const stat = (fd: Fd): FdStat => native.fstat(fd);
export const fsync = (fd: Fd): void => native.fsync(fd);

/** Largest window one mapping may have (one ArrayBuffer). */
export const MAX_WINDOW = 4 * 1024 ** 3;

/** Maps `length` bytes at `offset` of `fd` (shared). Release with unmap(). */
export const map = (fd: Fd, offset: number, length: number, writable = true): ArrayBuffer =>
  native.map(fd, offset, length, writable);
/** Releases a mapping now and detaches the buffer; the GC would do it later otherwise. */
export const unmap = (buffer: ArrayBuffer): void => native.unmap(buffer);
/** Writes a file mapping's dirty pages to the file. */
export const msync = (buffer: ArrayBuffer): void => native.msync(buffer);

/**
 * Whether the file under a mapping shrank while it was mapped. Touching the
 * lost pages does not kill the process: the addon puts zero pages under the
 * whole mapping (reads give zeros, writes go nowhere) until remap().
 */
export const mappingBroken = (buffer: ArrayBuffer): boolean => native.mappingBroken(buffer);
/**
 * Maps `fd` at `offset` back under a broken mapping (same buffer, same addresses); EINVAL while the file is still too
 * short.
 */
export const remap = (buffer: ArrayBuffer, fd: Fd, offset: number): void => native.remap(buffer, fd, offset);
/** The addon's count of broken mappings, read where it lives (two words: no call into the addon). */
const breaksWord = new Uint32Array(native.mappingBreaksWord());
const LOW_FIRST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
/** How many mappings broke since the process started: a cheap check that something did. */
export const mappingBreaks = (): number =>
  LOW_FIRST ? breaksWord[0]! + breaksWord[1]! * 2 ** 32 : breaksWord[1]! + breaksWord[0]! * 2 ** 32;
