// The bearer token: read from a file only its owner can read, compared in
// constant time. No cookies: a page from another origin cannot make the
// browser send it. A wrong token is answered after a fixed delay (a timer,
// the event loop goes on) and logged, at most one line a minute.
import { createHash, timingSafeEqual } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { HttpError } from './http-json.js';

/** The most a token file may hold: a token is one word, far shorter. */
export const MAX_TOKEN_FILE = 4096;

/**
 * The token in `path` (surrounding white space ignored); throws naming what is
 * wrong with the file. Only a regular file of this user's that no one else may
 * read or write will do: checked on the open file (the file checked is the file
 * read), opened without following a symlink and without blocking on a FIFO.
 */
export function readToken(path: string): string {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOOP')
      throw new Error(`${path} is a symlink: name the token file itself`);
    throw error;
  }
  let text: string;
  try {
    const stats = fstatSync(fd);
    const uid = process.geteuid?.() ?? 0;
    if (!stats.isFile()) throw new Error(`${path} is not a regular file: write the token to a file (chmod 600)`);
    if (stats.uid !== uid)
      throw new Error(
        `${path} belongs to uid ${stats.uid}, not to famez's uid ${uid}: that user could change the token; use a file of your own (chmod 600)`,
      );
    if ((stats.mode & 0o077) !== 0)
      throw new Error(
        `${path} is mode ${(stats.mode & 0o777).toString(8).padStart(4, '0')}: other users could read or change the token; run chmod 600 ${path}`,
      );
    if (stats.size > MAX_TOKEN_FILE)
      throw new Error(`${path} has ${stats.size} bytes: a token file holds one word (at most ${MAX_TOKEN_FILE} bytes)`);
    const buffer = Buffer.alloc(MAX_TOKEN_FILE);
    text = buffer.toString('utf8', 0, readSync(fd, buffer, 0, MAX_TOKEN_FILE, 0));
  } finally {
    closeSync(fd);
  }
  const token = text.trim();
  if (/\s/.test(token))
    throw new Error(
      `the token in ${path} holds white space inside: it could never match a header; write one word (e.g. openssl rand -hex 32 > ${path})`,
    );
  if (token.length < 16)
    throw new Error(
      `the token in ${path} is ${token.length} characters: use at least 16 (e.g. openssl rand -hex 32 > ${path})`,
    );
  return token;
}

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();
const CHALLENGE = { 'WWW-Authenticate': 'Bearer realm="famez"' };

export interface TokenGateOptions {
  /** How a failed authentication is reported (rate-limited here). */
  warn?: (text: string) => void;
  /** The delay before a failure is answered (default 250 ms). */
  failureDelayMs?: number;
  /** At most one log line per this many ms (default 60 s). */
  logEveryMs?: number;
}

export class TokenGate {
  readonly token?: string;
  readonly #options: TokenGateOptions;
  #lastLog = -Infinity;
  #unlogged = 0;

  constructor(token: string | undefined, options: TokenGateOptions = {}) {
    this.token = token;
    this.#options = options;
  }

  /** Whether the request carries the token; false without an Authorization header; a wrong one is a (delayed) 401. */
  async holdsToken(req: IncomingMessage): Promise<boolean> {
    if (req.headers.authorization === undefined) return false;
    await this.requireToken(req);
    return true;
  }

  /**
   * Throws 403 when there is no token to hold, 401 (after the delay) unless the request carries `Authorization: Bearer
   * <token>`.
   */
  async requireToken(req: IncomingMessage): Promise<void> {
    if (this.token === undefined)
      throw new HttpError(
        403,
        'the write API is off and message text is not shown: start famez with --http-token FILE to turn them on',
      );
    const [scheme, given, ...rest] = (req.headers.authorization ?? '').split(' ');
    if (scheme?.toLowerCase() !== 'bearer' || !given || rest.length > 0)
      await this.#fail(req, 'this call needs the header Authorization: Bearer <token>');
    else if (!timingSafeEqual(digest(given), digest(this.token))) await this.#fail(req, 'wrong token');
  }

  async #fail(req: IncomingMessage, why: string): Promise<never> {
    this.#unlogged++;
    const now = performance.now();
    if (now - this.#lastLog >= (this.#options.logEveryMs ?? 60_000)) {
      const count = this.#unlogged;
      this.#lastLog = now;
      this.#unlogged = 0;
      this.#options.warn?.(
        `http: failed authentication from ${req.socket.remoteAddress ?? 'an unknown address'} (${req.method} ${(req.url ?? '').split('?')[0]}: ${why})${count > 1 ? `; ${count} failures since the last line` : ''}`,
      );
    }
    await sleep(this.#options.failureDelayMs ?? 250);
    throw new HttpError(401, why, CHALLENGE);
  }
}
