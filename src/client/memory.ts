// Windows over the shared memory. One ArrayBuffer holds at most 4 GiB, so
// larger memory is reached through several windows.
// Any peer holding the memory's fd can shrink it. The addon then puts zero
// pages under the windows instead of letting the process die (SIGBUS); this
// object notices it, says so ('shrunk'), and maps the memory back once its
// owner has restored the size ('restored'). The views stay valid throughout.
import { EventEmitter } from 'node:events';
import * as sys from '../sys/index.js';

export interface SharedMemoryEvents {
  /**
   * The memory was cut (`size`: its size when noticed, maybe restored already): the windows read zeros and lose writes
   * until 'restored'.
   */
  shrunk: [size: number];
  /** The memory has its size again and every window maps it once more. */
  restored: [size: number];
}

/** One line for a user: what happened to the memory and what it means. */
export function describeMemoryChange(change: 'shrunk' | 'restored', size: number): string {
  return change === 'shrunk'
    ? `the shared memory was cut by another process (${size} bytes when noticed): it reads as zeros until it is whole again`
    : `the shared memory is whole again (${size} bytes): mapped back`;
}

/**
 * A new window asked for while the memory is cut (shorter than its size): none can be mapped until it is whole again.
 */
export class MemoryCutError extends Error {
  override name = 'MemoryCutError';
  constructor(
    readonly found: number,
    readonly size: number,
  ) {
    super(
      `the shared memory was cut by another process (${found} of ${size} bytes left): ` +
        'nothing can be read or written until it is whole again',
    );
  }
}

/** How often a memory with windows checks that they are whole (a cheap counter read). */
const CHECK_MS = 250;

export class SharedMemory extends EventEmitter<SharedMemoryEvents> {
  readonly size: number;
  readonly #fd: sys.Fd;
  /** Each window's buffer and its offset in the memory. */
  readonly #windows = new Map<ArrayBuffer, number>();
  #closed = false;
  #breaks = sys.mappingBreaks();
  #shrunk = false;
  #timer?: NodeJS.Timeout;

  /** Takes ownership of `fd`. */
  constructor(fd: sys.Fd) {
    super();
    this.#fd = fd;
    this.size = sys.stat(fd).size;
  }

  /** A view of `length` bytes at `offset` (default: the whole memory, up to 4 GiB). */
  map(offset = 0, length = Math.min(this.size - offset, sys.MAX_WINDOW)): Uint8Array {
    if (this.#closed) throw new Error('the shared memory is closed');
    if (
      !Number.isSafeInteger(offset) ||
      !Number.isSafeInteger(length) ||
      offset < 0 ||
      length < 1 ||
      offset + length > this.size ||
      length > sys.MAX_WINDOW
    ) {
      throw new RangeError(
        `window ${offset}+${length} is outside the shared memory (${this.size} bytes; at most 4 GiB a window)`,
      );
    }
    let buffer: ArrayBuffer;
    try {
      buffer = sys.map(this.#fd, offset, length);
    } catch (error) {
      // The addon refuses to map past the file's end (touching it would be SIGBUS).
      const found = sys.isSysError(error, 'EINVAL') ? sys.stat(this.#fd).size : this.size;
      if (found < offset + length) throw new MemoryCutError(found, this.size);
      throw error;
    }
    this.#windows.set(buffer, offset);
    this.#timer ??= setInterval(() => this.check(), CHECK_MS).unref();
    return new Uint8Array(buffer);
  }

  /** Releases one window now. */
  unmap(view: Uint8Array): void {
    const buffer = view.buffer as ArrayBuffer;
    if (this.#windows.delete(buffer)) sys.unmap(buffer);
  }

  /** Writes dirty pages back (file-backed memory). */
  sync(view: Uint8Array): void {
    sys.msync(view.buffer as ArrayBuffer);
  }

  /** The fd, for passing on (it stays owned by this object). */
  get fd(): sys.Fd {
    return this.#fd;
  }

  /** Whether a window lost the memory under it (it shrank) and has not been mapped back yet. */
  get shrunk(): boolean {
    return this.#shrunk;
  }

  /**
   * Notices a shrink ('shrunk') and maps the windows back once the memory is
   * whole again ('restored'). Runs by itself every 250 ms; call it to know now.
   */
  check(): void {
    if (this.#closed) return;
    const breaks = sys.mappingBreaks();
    if (breaks === this.#breaks && !this.#shrunk) return;
    this.#breaks = breaks;
    const broken = [...this.#windows].filter(([buffer]) => sys.mappingBroken(buffer));
    if (broken.length === 0) return;
    const size = sys.stat(this.#fd).size;
    if (!this.#shrunk) {
      this.#shrunk = true;
      this.emit('shrunk', size);
    }
    if (size < this.size) return;
    try {
      for (const [buffer, offset] of broken) sys.remap(buffer, this.#fd, offset);
    } catch (error) {
      if (sys.isSysError(error, 'EINVAL')) return; // cut again meanwhile: the next check retries
      throw error;
    }
    this.#shrunk = false;
    this.emit('restored', size);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    for (const buffer of this.#windows.keys()) sys.unmap(buffer);
    this.#windows.clear();
    sys.close(this.#fd);
  }
}
