// Where log lines go: sonic-boom (pino's destination) writes them
// asynchronously, so no output can block the event loop, stalled (a pipe
// nobody reads) or closed (EPIPE). What it holds is bounded: past LOG_BUFFER
// bytes a line is dropped and counted, and once the output moves again one line
// says how many were lost. A failed output drops (and counts) lines until a
// new one replaces it; it never stops famez.
import sonicBoom from 'sonic-boom';

// A CommonJS module: its class is a property of what it exports.
const { SonicBoom } = sonicBoom;
type SonicBoom = InstanceType<typeof SonicBoom>;

/** Bytes of lines held while the reader stalls; past that, lines are dropped and counted. */
export const LOG_BUFFER = 256 * 1024;
/** How long a close waits for the held lines to go out (then they are abandoned). */
const CLOSE_WAIT_MS = 2000;

const countLines = (data: string): number => data.split('\n').length - 1;

export class LogOutput {
  /** Lines lost since the start: the output stalled past LOG_BUFFER, or failed. */
  dropped = 0;
  readonly #notice: (lines: number) => string;
  #stream: SonicBoom;
  #ownsFd: boolean;
  #failed = false;
  #unreported = 0;
  #reporting = false;
  #noticeDropped = false;

  /** `notice` formats the line that says how many lines were dropped. */
  constructor(fd: number, ownsFd: boolean, notice: (lines: number) => string) {
    this.#notice = notice;
    this.#ownsFd = ownsFd;
    this.#stream = this.#open(fd);
  }

  #open(fd: number): SonicBoom {
    const stream = new SonicBoom({ fd, sync: false, maxLength: LOG_BUFFER });
    stream.on('drop', (data: string | Buffer) => this.#lost(countLines(String(data))));
    stream.on('write', () => this.#report());
    // EPIPE (the reader is gone), EBADF, ENOSPC: this output is done for; famez is not.
    stream.on('error', () => {
      if (stream === this.#stream) this.#failed = true;
    });
    return stream;
  }

  write(line: string): void {
    if (this.#failed) this.#lost(countLines(line));
    else this.#stream.write(line);
  }

  #lost(lines: number): void {
    if (this.#reporting) {
      this.#noticeDropped = true;
      return;
    }
    this.dropped += lines;
    this.#unreported += lines;
  }

  /** After a write went out: says how many lines were lost before it, if any. */
  #report(): void {
    if (this.#unreported === 0 || this.#failed) return;
    const lines = this.#unreported;
    this.#unreported = 0;
    this.#reporting = true;
    this.#noticeDropped = false;
    this.#stream.write(this.#notice(lines));
    this.#reporting = false;
    if (this.#noticeDropped) this.#unreported += lines;
  }

  /** Writes to `fd` from now on (a reopened log file); the old output is flushed and closed. */
  replace(fd: number): void {
    const old = this.#stream;
    if (this.#ownsFd) this.#failed ? old.destroy() : old.end();
    this.#stream = this.#open(fd);
    this.#ownsFd = true;
    this.#failed = false;
  }

  /**
   * Sends the held lines out, waiting at most CLOSE_WAIT_MS, and closes an fd
   * of its own. False when lines were still held (the output is stalled).
   */
  close(): Promise<boolean> {
    const stream = this.#stream;
    return new Promise((resolve) => {
      if (this.#failed) {
        if (this.#ownsFd) stream.destroy();
        return resolve(true);
      }
      const timer = setTimeout(() => resolve(false), CLOSE_WAIT_MS);
      stream.flush((error?: Error) => {
        clearTimeout(timer);
        if (this.#ownsFd) stream.end();
        resolve(!error);
      });
    });
  }
}
