// Payload text: words separated by spaces, `key=value,key=value` argument
// lists, and FAME-Z's conversation tracker `!EZT=<n>` at the end.

export const TRACKER_TOKEN = '!EZT=';

export interface Payload {
  /** The text before the tracker. */
  body: string;
  /** The tracker's number, when the sender put one. */
  tracker?: number;
}

/** Splits off the tracker; a malformed tracker stays part of the body. */
export function parsePayload(text: string): Payload {
  // includes() first: lastIndexOf() is a call into V8's runtime, includes() is not (message path).
  if (!text.includes(TRACKER_TOKEN)) return { body: text };
  const at = text.lastIndexOf(TRACKER_TOKEN);
  if (at < 0) return { body: text };
  const digits = text.slice(at + TRACKER_TOKEN.length);
  if (!/^\d{1,15}$/.test(digits)) return { body: text };
  return { body: text.slice(0, at), tracker: Number(digits) };
}

export function formatPayload(body: string, tracker?: number): string {
  return tracker === undefined ? body : `${body}${TRACKER_TOKEN}${tracker}`;
}

const SPACE = /\s/;

export function words(body: string): string[] {
  // One word (ping, pong, dump) is most messages: no split, no filter.
  if (!SPACE.test(body)) return body === '' ? [] : [body];
  return body.split(/\s+/).filter((word) => word !== '');
}

/** `a=1, b = x` → { a: '1', b: 'x' }; items without `=` are left out. */
export function parseArguments(text: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const item of text.split(',')) {
    const eq = item.indexOf('=');
    if (eq <= 0) continue;
    const key = item.slice(0, eq).trim();
    if (key) result[key] = item.slice(eq + 1).trim();
  }
  return result;
}

export function formatArguments(values: Record<string, string | number>): string {
  return Object.entries(values)
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
}
