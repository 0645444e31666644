// What a caller without the token sees of an event: message text leaves the
// process only for the token's holder; the others get its size instead. The
// two forms come from the event's fields (a warning that quotes message text
// carries its form without it, built where the line was made): nothing here
// searches text for quotes, which a quote in the text itself could defeat.
import type { SourceEvent } from './model.js';

const size = (text: string): number => Buffer.byteLength(text);

/** The event for the token's holder: all of it, without the form meant for the others. */
export function withText(event: SourceEvent): SourceEvent {
  if (event.type !== 'warning' || event.withoutText === undefined) return event;
  const { withoutText: _, ...rest } = event;
  return rest;
}

/**
 * The event without message text (bodies, sent text, traced text, quotes in warnings), with sizes in its place; others
 * unchanged.
 */
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
      return event.withoutText === undefined ? event : { type: 'warning', text: event.withoutText };
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
    (event.type === 'warning' && event.withoutText !== undefined)
  );
}
