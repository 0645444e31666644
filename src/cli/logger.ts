// Event log: one line per event, as text or JSON, to stdout or a file that
// SIGHUP reopens (for logrotate), written without blocking (log-output.ts). A
// log file is opened without following a symlink (a default such as
// /tmp/ivshmsg_log is in a world-writable place) and created 0600; text that
// peers wrote (nodenames, messages) is escaped (src/protocol/text-escape.ts),
// so that it cannot forge a line or drive a terminal.
import { closeSync, constants, fstatSync, openSync } from 'node:fs';
import { escapeText, safeJson } from '../protocol/text-escape.js';
import { systemReason } from '../sys/errors.js';
import { LogOutput } from './log-output.js';

export type LogFormat = 'text' | 'json';
export const LOG_FORMATS: readonly LogFormat[] = ['text', 'json'];

export type LogFields = Record<string, string | number | boolean | undefined>;

/** Thrown when the log file cannot be opened; the message names it and says what to do. */
export class LogFileError extends Error {
  override name = 'LogFileError';
}

/** `text` on one line, safe on a terminal: \n, \r, \t, \xNN and \u{NNNN} for the unsafe characters. */
export const escapeControls = (text: string): string => escapeText(text);

/** Opens a log file for appending: never through a symlink, created 0600. */
export function openLogFile(path: string): number {
  let fd: number;
  try {
    fd = openSync(
      path,
      constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK,
      0o600,
    );
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ELOOP')
      throw new LogFileError(
        `log file ${path} is a symlink; famez never follows one: remove it or give another log file`,
      );
    throw new LogFileError(
      `cannot open log file ${path}: ${systemReason(error)}: give a log file in a directory you may write`,
    );
  }
  const { uid, mode } = fstatSync(fd);
  const own = process.geteuid?.() ?? 0;
  if (uid !== own || (mode & constants.S_IFMT) !== constants.S_IFREG) {
    closeSync(fd);
    throw new LogFileError(
      uid !== own
        ? `log file ${path} belongs to uid ${uid}, not to famez's uid ${own}: remove it or give another log file`
        : `log file ${path} is not a regular file: give another log file`,
    );
  }
  return fd;
}

export class Logger {
  readonly #path?: string;
  readonly #format: LogFormat;
  readonly verbose: boolean;
  readonly #output: LogOutput;

  constructor(options: { path?: string; format?: LogFormat; verbose?: boolean } = {}) {
    this.#path = options.path;
    this.#format = options.format ?? 'text';
    this.verbose = options.verbose ?? false;
    const fd = this.#path ? openLogFile(this.#path) : 1;
    this.#output = new LogOutput(fd, this.#path !== undefined, (lines) =>
      this.#line('warning', 'log-dropped', `log: ${lines} lines dropped: the output was not read fast enough`, {
        dropped: lines,
      }),
    );
  }

  /** Lines lost because the output stalled past its buffer or failed. */
  get dropped(): number {
    return this.#output.dropped;
  }

  /** `event` is a short kebab-case name; `text` the human sentence. */
  info(event: string, text: string, fields: LogFields = {}): void {
    this.#output.write(this.#line('info', event, text, fields));
  }

  warn(event: string, text: string, fields: LogFields = {}): void {
    this.#output.write(this.#line('warning', event, text, fields));
  }

  debug(event: string, text: string, fields: LogFields = {}): void {
    if (this.verbose) this.#output.write(this.#line('debug', event, text, fields));
  }

  /**
   * Opens the log file again (SIGHUP after a rotation); when that fails, keeps writing to the old one and says so
   * there.
   */
  reopen(): void {
    if (!this.#path) return;
    let fd: number;
    try {
      fd = openLogFile(this.#path);
    } catch (error) {
      this.warn('log-reopen-failed', `${(error as Error).message}; still logging to the file opened before`, {
        path: this.#path,
      });
      return;
    }
    this.#output.replace(fd);
  }

  /** Sends the lines held out (waiting a little) and closes the file: false when the output was stalled. */
  close(): Promise<boolean> {
    return this.#output.close();
  }

  #line(level: string, event: string, text: string, fields: LogFields): string {
    const time = new Date().toISOString();
    // JSON escapes control characters itself; safeJson the rest (separators, bidi).
    const line =
      this.#format === 'json'
        ? safeJson(JSON.stringify({ time, level, event, message: text, ...fields }))
        : `${time} ${level === 'info' ? '' : `${level}: `}${escapeControls(text)}`;
    return `${line}\n`;
  }
}
