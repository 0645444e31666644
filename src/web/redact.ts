// What a caller without the token sees of an event: message text leaves the
// process only for the token's holder; the others get its size instead.
import type { SourceEvent } from './model.js';

const size = (text: string): number => Buffer.byteLength(text);

/** A warning quotes what a peer wrote in double quotes: each quote becomes its size. */
const QUOTED = /"(?:[^"\\]|\\.)*"/g;
const unquoted = (text: string): string => text.replace(QUOTED, (quote) => `(${size(quote) - 2} bytes)`);

/** The event without message text (bodies, sent text, traced text, quotes in warnings), with sizes in its place; others unchanged. */
export function withoutText(event: SourceEvent): SourceEvent {
  switch (event.type) {
    case 'message': {
      const { body, ...rest } = event;
      return body === undefined ? event : { ...rest, bytes: size(body) };
    }
    case 'sent': {
      const { text, ...rest } = event;
      return text === undefined ? event : { ...rest, bytes: size(text) };
    }
    case 'trace': {
      const { text, ...rest } = event;
      return text === undefined ? event : { ...rest, bytes: size(text) };
    }
    case 'warning':
      return { ...event, text: unquoted(event.text) };
    default:
      return event;
  }
}

/** Whether the event carries message text (then it has two forms). */
export function carriesText(event: SourceEvent): boolean {
  return (
    (event.type === 'message' && event.body !== undefined) ||
    (event.type === 'sent' && event.text !== undefined) ||
    (event.type === 'trace' && event.text !== undefined) ||
    (event.type === 'warning' && event.text.includes('"'))
  );
}
