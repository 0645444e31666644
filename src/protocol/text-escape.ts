// Text a peer or client wrote (nodenames, messages), made safe wherever a
// person reads it: logs, metric labels, a terminal. Control characters (C0,
// DEL, C1), line and paragraph separators and bidirectional controls become
// visible escapes, so the text cannot forge a line, move the cursor, recolour
// a terminal or reorder what follows it. One set serves every reader.

/** Every character that must not reach a reader raw. */
export const UNSAFE_TEXT = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** The log's and the metrics' names for a few of them; the rest are \xHH or \u{HHHH}. */
const LOG_NAMES: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * `text` with each unsafe character as its `named` escape (a name may be the
 * character itself, to keep it), else \xHH or \u{HHHH}.
 */
export function escapeText(text: string, named: Readonly<Record<string, string>> = LOG_NAMES): string {
  return text.replace(UNSAFE_TEXT, (char) => {
    const name = named[char];
    if (name !== undefined) return name;
    const code = char.codePointAt(0)!;
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
  });
}

/**
 * A JSON text with the unsafe characters JSON.stringify leaves raw (DEL, C1,
 * separators, bidi controls) as \uHHHH: the same value, safe on a terminal.
 */
export function safeJson(json: string): string {
  return json.replace(UNSAFE_TEXT, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
