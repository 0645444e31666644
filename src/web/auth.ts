// The write API's bearer token: read from a file, compared in constant time.
// No cookies: a page from another origin cannot make the browser send it.
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { HttpError } from './http-json.js';

/** The token in `path` (surrounding white space ignored); throws when it is empty or unreadable. */
export function readToken(path: string): string {
  const token = readFileSync(path, 'utf8').trim();
  if (token.length < 16) throw new Error(`the token in ${path} is ${token.length} characters: use at least 16 (e.g. openssl rand -hex 32 > ${path})`);
  return token;
}

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/** Throws 403 when writing is off, 401 unless the request carries `Authorization: Bearer <token>`. */
export function checkBearer(req: IncomingMessage, token: string | undefined): void {
  if (token === undefined) throw new HttpError(403, 'the write API is off: start famez with --http-token FILE to turn it on');
  const challenge = { 'WWW-Authenticate': 'Bearer realm="famez"' };
  const [scheme, given, ...rest] = (req.headers.authorization ?? '').split(' ');
  if (scheme?.toLowerCase() !== 'bearer' || !given || rest.length > 0) throw new HttpError(401, 'this call needs the header Authorization: Bearer <token>', challenge);
  if (!timingSafeEqual(digest(given), digest(token))) throw new HttpError(401, 'wrong token', challenge);
}
