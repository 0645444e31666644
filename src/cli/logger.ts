// Event log: one line per event, as text or JSON, to stdout or a file that
// SIGHUP reopens (for logrotate). A log file is opened without following a
// symlink (a default such as /tmp/ivshmsg_log is in a world-writable place)
// and created 0600; text that peers wrote (nodenames, messages) has its
// control characters escaped, so that it cannot forge a line or drive a terminal.
import { closeSync, constants, fstatSync, openSync, writeSync } from 'node:fs';
import { systemReason } from '../sys/errors.js';
import { escapeMatches } from './terminal-text.js';

export type LogFormat = 'text' | 'json';
export const LOG_FORMATS: readonly LogFormat[] = ['text', 'json'];

export type LogFields = Record<string, string | number | boolean | undefined>;

/** Thrown when the log file cannot be opened; the message names it and says what to do. */
export class LogFileError extends Error {
  override name = 'LogFileError';
}

// C0 controls, DEL and C1 controls (0x9b is a one-byte CSI on some terminals).
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x1f\x7f-\x9f]/g;
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** `text` on one line with no control character: \n, \r, \t, and \xNN for the others. */
export function escapeControls(text: string): string {
  return escapeMatches(text, CONTROL, NAMED);
}

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
  #fd: number;

  constructor(options: { path?: string; format?: LogFormat; verbose?: boolean } = {}) {
    this.#path = options.path;
    this.#format = options.format ?? 'text';
    this.verbose = options.verbose ?? false;
    this.#fd = this.#path ? openLogFile(this.#path) : 1;
  }

  /** `event` is a short kebab-case name; `text` the human sentence. */
  info(event: string, text: string, fields: LogFields = {}): void {
    this.#write('info', event, text, fields);
  }

  warn(event: string, text: string, fields: LogFields = {}): void {
    this.#write('warning', event, text, fields);
  }

  debug(event: string, text: string, fields: LogFields = {}): void {
    if (this.verbose) this.#write('debug', event, text, fields);
  }

  /** Opens the log file again (SIGHUP after a rotation); when that fails, keeps writing to the old one and says so there. */
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
    closeSync(this.#fd);
    this.#fd = fd;
  }

  close(): void {
    if (this.#path) closeSync(this.#fd);
  }

  #write(level: string, event: string, text: string, fields: LogFields): void {
    const time = new Date().toISOString();
    // JSON escapes control characters itself.
    const line =
      this.#format === 'json'
        ? JSON.stringify({ time, level, event, message: text, ...fields })
        : `${time} ${level === 'info' ? '' : `${level}: `}${escapeControls(text)}`;
    try {
      writeSync(this.#fd, `${line}\n`);
    } catch {
      // a log that cannot be written must not stop the server
    }
  }
}
