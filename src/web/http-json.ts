// JSON in and out: every answer is JSON, every error says what was wrong.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { MIMEType } from 'node:util';

/** An answer other than 2xx, thrown by a handler and sent as {"error": message}. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(text);
}

/**
 * How deep a JSON body may nest: the API's bodies are flat; code that walks a value recursively (JSON.stringify in an
 * error) must not run out of stack.
 */
export const MAX_JSON_DEPTH = 32;

/**
 * The deepest nesting of arrays and objects in JSON text (brackets inside strings are text); one pass, no recursion.
 */
export function jsonDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // a backslash: the next character is escaped
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) deepest = Math.max(deepest, ++depth);
    else if (c === 0x5d || c === 0x7d) depth--;
  }
  return deepest;
}

/**
 * Reads a JSON body of at most `limit` bytes, nested at most MAX_JSON_DEPTH deep; anything else is an HttpError naming
 * the problem.
 */
export async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const type = req.headers['content-type'];
  let essence: string | undefined;
  try {
    essence = type === undefined ? undefined : new MIMEType(type).essence;
  } catch {
    // not a media type at all
  }
  if (essence !== 'application/json')
    throw new HttpError(415, `the body must be JSON (Content-Type: application/json), not ${type ?? 'untyped'}`);
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit)
    throw new HttpError(413, `the body is ${declared} bytes: at most ${limit} are taken`, { Connection: 'close' });
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    length += chunk.length;
    if (length > limit)
      throw new HttpError(413, `the body is over ${limit} bytes: at most ${limit} are taken`, { Connection: 'close' });
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  const depth = jsonDepth(text);
  if (depth > MAX_JSON_DEPTH)
    throw new HttpError(
      400,
      `the body nests deeper than ${MAX_JSON_DEPTH} levels (${depth}): send a flatter JSON body`,
    );
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new HttpError(400, `the body is not valid JSON: ${(error as Error).message}`);
  }
}
