// Text a peer wrote, made safe to print: control characters (C0 but tab,
// DEL, C1), line and paragraph separators and bidirectional overrides become
// visible escapes, so a message or a nodename cannot move the cursor, forge a
// line or recolour the terminal (a tab can do none of it, and FAME-Z's own
// lines hold tabs). JSON output needs none of this (JSON escapes).
import type { Output } from './console/runner.js';

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\x1b': '\\e' };

const UNSAFE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** `text` with every unsafe character as \n, \r, \e, \xHH or \u{HHHH}. */
export function escapeControls(text: string): string {
  return escapeMatches(text, UNSAFE, NAMED);
}

/** `text` with each match of `unsafe` as its `named` escape, else \xHH or \u{HHHH} (the log's rules are its own). */
export function escapeMatches(text: string, unsafe: RegExp, named: Readonly<Record<string, string>>): string {
  return text.replace(unsafe, (char) => {
    const name = named[char];
    if (name) return name;
    const code = char.codePointAt(0)!;
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
  });
}

/** The output with its text lines escaped; JSON lines as they are (raw text, JSON-escaped). */
export function escapedOutput(print: Output, json: boolean): Output {
  if (json) return print;
  return (text, object) => print([text].flat().map(escapeControls), object);
}
