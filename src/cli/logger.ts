// Event log: one line per event, as text or JSON, to stdout or a file that
// SIGHUP reopens (for logrotate).
import { closeSync, openSync, writeSync } from 'node:fs';

export type LogFormat = 'text' | 'json';
export const LOG_FORMATS: readonly LogFormat[] = ['text', 'json'];

export type LogFields = Record<string, string | number | boolean | undefined>;

export class Logger {
  readonly #path?: string;
  readonly #format: LogFormat;
  readonly verbose: boolean;
  #fd: number;

  constructor(options: { path?: string; format?: LogFormat; verbose?: boolean } = {}) {
    this.#path = options.path;
    this.#format = options.format ?? 'text';
    this.verbose = options.verbose ?? false;
    this.#fd = this.#path ? openSync(this.#path, 'a', 0o640) : 1;
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

  reopen(): void {
    if (!this.#path) return;
    const fd = openSync(this.#path, 'a', 0o640);
    closeSync(this.#fd);
    this.#fd = fd;
  }

  close(): void {
    if (this.#path) closeSync(this.#fd);
  }

  #write(level: string, event: string, text: string, fields: LogFields): void {
    const time = new Date().toISOString();
    const line = this.#format === 'json'
      ? JSON.stringify({ time, level, event, message: text, ...fields })
      : `${time} ${level === 'info' ? '' : `${level}: `}${text}`;
    try {
      writeSync(this.#fd, `${line}\n`);
    } catch {
      // a log that cannot be written must not stop the server
    }
  }
}
