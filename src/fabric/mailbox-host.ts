// The fabric's side of the mailbox: its file, the mapping, the globals and
// the switch's names, and the repair when someone cuts the file. Every peer
// holds the mailbox's fd read-write and can ftruncate it (another process of
// the same user can truncate the path), as often and as fast as it likes: the
// addon then puts zero pages under the mapping instead of letting famez die of
// SIGBUS (see native/guard.c), and this host restores the size, maps the file
// back (later, if it was cut again meanwhile), rewrites the globals and says
// so once per burst of cuts (cut-bursts.ts).
import { watch, type FSWatcher } from 'node:fs';
import { Mailbox, type Geometry } from '../mailbox/index.js';
import { formatSize } from '../memory/size.js';
import * as sys from '../sys/index.js';
import { CutBursts } from './cut-bursts.js';
import type { MailboxFile } from './mailbox-file.js';

/** Without inotify (its limits reached), how often the host checks the file's size. */
const CHECK_MS = 500;
/** During a burst of cuts, how often the host retries a repair and looks for the burst's end. */
const RETRY_MS = 100;

export interface MailboxHostOptions {
  file: MailboxFile;
  /** The memory's fd (owned by the server). */
  fd: sys.Fd;
  layout: Geometry;
  names: { nodename: string; cclass: string };
  /** A cut noticed ('shrunk', the size found) and its repair done ('restored'): once per cut. */
  onChange: (change: 'shrunk' | 'restored', size: number) => void;
  /** A line to log: a few per burst of cuts, however many cuts it has. */
  onWarning: (line: string) => void;
}

export class MailboxHost {
  readonly mailbox: Mailbox;
  readonly #options: MailboxHostOptions;
  readonly #buffer: ArrayBuffer;
  readonly #bursts: CutBursts;
  #watch: FSWatcher | NodeJS.Timeout;
  /** Between a cut noticed and its repair done. */
  #cut = false;
  #retry?: NodeJS.Timeout;
  #closed = false;
  /** sys.mappingBreaks() when the mapping was last seen whole (-1: not yet). */
  #breaks = -1;

  /** Maps the mailbox, formats it and writes the switch's names. */
  constructor(options: MailboxHostOptions) {
    this.#options = options;
    this.#buffer = sys.map(options.fd, 0, options.layout.size);
    this.mailbox = new Mailbox(new Uint8Array(this.#buffer));
    this.mailbox.format(options.layout.nClients);
    this.mailbox.setNames(options.layout.serverId, options.names);
    this.#bursts = new CutBursts(options.file.path, options.onWarning);
    this.#watch = this.#watchSize();
  }

  /**
   * A cut between doorbells is seen through inotify (a truncate is a change of
   * the file; stores through mappings are not), so an idle fabric stays
   * asleep; a timer only where inotify is unavailable.
   */
  #watchSize(): FSWatcher | NodeJS.Timeout {
    const timer = (): NodeJS.Timeout => setInterval(() => this.check(true), CHECK_MS).unref();
    try {
      const watcher = watch(this.#options.file.path, { persistent: false }, () => this.check(true));
      watcher.on('error', () => {
        watcher.close();
        if (!this.#closed) this.#watch = timer();
      });
      return watcher;
    } catch {
      return timer();
    }
  }

  get path(): string {
    return this.#options.file.path;
  }

  /**
   * Repairs the mailbox if it was cut: true when it was (the repair may have
   * to wait). Cheap without `statFile` (flag reads; for the doorbell path),
   * thorough with it: a file cut and grown again before anything touched the
   * mapping shows only in its size or its globals.
   */
  check(statFile = false): boolean {
    if (this.#closed) return false;
    if (!this.#cut && (!statFile || this.#whole())) {
      // No mapping broke since this one was last seen whole: the process-wide count answers,
      // a much cheaper call than the lookup of this mapping (twice a message on the switch's path).
      const breaks = sys.mappingBreaks();
      if (breaks === this.#breaks) return false;
      if (!sys.mappingBroken(this.#buffer)) {
        this.#breaks = breaks;
        return false;
      }
    }
    this.#repair();
    return true;
  }

  #whole(): boolean {
    if (sys.stat(this.#options.fd).size < this.#options.layout.size) return false;
    try {
      return this.mailbox.globals().nClients === this.#options.layout.nClients;
    } catch {
      return false;
    }
  }

  #repair(): void {
    const { fd, layout, names } = this.#options;
    if (!this.#cut) {
      this.#cut = true;
      const found = sys.stat(fd).size;
      this.#bursts.cut(
        found < layout.size ? `was cut to ${found} bytes` : `was cut and grown again (${found} bytes)`,
        found,
        `restoring it to ${formatSize(layout.size)}, with the globals and the switch's names`,
      );
      this.#options.onChange('shrunk', found);
    }
    this.#retry ??= setInterval(() => this.#tick(), RETRY_MS).unref();
    try {
      if (sys.stat(fd).size < layout.size) sys.truncate(fd, layout.size);
      // EINVAL: cut again since the line above; the next cut's event or the retry timer comes back.
      if (sys.mappingBroken(this.#buffer)) sys.remap(this.#buffer, fd, 0);
    } catch (error) {
      if (!sys.isSysError(error)) throw error;
      if (error.code !== 'EINVAL') this.#bursts.failed(sys.systemReason(error));
      return;
    }
    this.mailbox.writeGlobals(layout.nClients);
    this.mailbox.setNames(layout.serverId, names);
    // Cut again while writing: those writes went to zero pages; still cut.
    if (sys.mappingBroken(this.#buffer)) return;
    this.#cut = false;
    this.#options.onChange('restored', layout.size);
  }

  /** During a burst: retries a repair, and stops once the burst is over. */
  #tick(): void {
    this.check(true);
    if (this.#bursts.settle(!this.#cut)) {
      clearInterval(this.#retry);
      this.#retry = undefined;
    }
  }

  /** Unmaps the mailbox (the fabric removes the file it created). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#retry);
    if ('close' in this.#watch) this.#watch.close();
    else clearInterval(this.#watch);
    sys.unmap(this.#buffer);
  }
}
