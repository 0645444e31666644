// The fabric's side of the mailbox: its file, the mapping, the globals and
// the switch's names, and the repair when someone cuts the file. Every peer
// holds the mailbox's fd read-write and can ftruncate it (another process of
// the same user can truncate the path): the addon then puts zero pages under
// the mapping instead of letting famez die of SIGBUS (see native/guard.c),
// and this host restores the size, maps the file back, rewrites the globals
// and says in one line what it found.
import { watch, type FSWatcher } from 'node:fs';
import { Mailbox, type Geometry } from '../mailbox/index.js';
import { formatSize } from '../memory/size.js';
import * as sys from '../sys/index.js';
import type { MailboxFile } from './mailbox-file.js';

/** Without inotify (its limits reached), how often the host checks the file's size. */
const CHECK_MS = 500;

export interface MailboxHostOptions {
  file: MailboxFile;
  /** The memory's fd (owned by the server). */
  fd: sys.Fd;
  layout: Geometry;
  names: { nodename: string; cclass: string };
  /** The one line said after a repair. */
  onRepair: (line: string) => void;
}

export class MailboxHost {
  readonly mailbox: Mailbox;
  readonly #options: MailboxHostOptions;
  readonly #buffer: ArrayBuffer;
  #watch: FSWatcher | NodeJS.Timeout;
  #closed = false;

  /** Maps the mailbox, formats it and writes the switch's names. */
  constructor(options: MailboxHostOptions) {
    this.#options = options;
    this.#buffer = sys.map(options.fd, 0, options.layout.size);
    this.mailbox = new Mailbox(new Uint8Array(this.#buffer));
    this.mailbox.format(options.layout.nClients);
    this.mailbox.setNames(options.layout.serverId, options.names);
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
   * Repairs the mailbox if it was cut: true when it did. Cheap without
   * `statFile` (one flag read; for the doorbell path), thorough with it.
   */
  check(statFile = false): boolean {
    if (this.#closed) return false;
    const broken = sys.mappingBroken(this.#buffer);
    if (!broken && (!statFile || sys.stat(this.#options.fd).size >= this.#options.layout.size)) return false;
    this.#repair();
    return true;
  }

  #repair(): void {
    const { fd, layout, names, file } = this.#options;
    const found = sys.stat(fd).size;
    const what = found < layout.size ? `was cut to ${found} bytes` : `was cut and grown again (${found} bytes)`;
    if (found < layout.size) sys.truncate(fd, layout.size);
    if (sys.mappingBroken(this.#buffer)) sys.remap(this.#buffer, fd, 0);
    this.mailbox.writeGlobals(layout.nClients);
    this.mailbox.setNames(layout.serverId, names);
    this.#options.onRepair(
      `mailbox ${file.path} ${what} by a peer or another process: ` +
        `restored to ${formatSize(layout.size)}, globals and the switch's names rewritten; messages in flight are lost`,
    );
  }

  /** Unmaps the mailbox (the fabric removes the file it created). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if ('close' in this.#watch) this.#watch.close();
    else clearInterval(this.#watch);
    sys.unmap(this.#buffer);
  }
}
