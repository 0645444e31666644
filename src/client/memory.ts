// Windows over the shared memory. One ArrayBuffer holds at most 4 GiB, so
// larger memory is reached through several windows.
import * as sys from '../sys/index.js';

export class SharedMemory {
  readonly size: number;
  readonly #fd: sys.Fd;
  readonly #windows = new Set<ArrayBuffer>();
  #closed = false;

  /** Takes ownership of `fd`. */
  constructor(fd: sys.Fd) {
    this.#fd = fd;
    this.size = sys.stat(fd).size;
  }

  /** A view of `length` bytes at `offset` (default: the whole memory, up to 4 GiB). */
  map(offset = 0, length = Math.min(this.size - offset, sys.MAX_WINDOW)): Uint8Array {
    if (this.#closed) throw new Error('the shared memory is closed');
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 1 ||
      offset + length > this.size || length > sys.MAX_WINDOW) {
      throw new RangeError(`window ${offset}+${length} is outside the shared memory (${this.size} bytes; at most 4 GiB a window)`);
    }
    const buffer = sys.map(this.#fd, offset, length);
    this.#windows.add(buffer);
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

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const buffer of this.#windows) sys.unmap(buffer);
    this.#windows.clear();
    sys.close(this.#fd);
  }
}
