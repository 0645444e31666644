// Text a peer wrote, made safe to print on the chat's terminal: the rules of
// escapeText (src/protocol/text-escape.ts), but a tab stays (it can move no
// cursor, and FAME-Z's own lines hold tabs) and ESC reads \e. JSON output
// needs none of this (JSON escapes).
import { escapeText } from '../protocol/text-escape.js';
import type { Output } from './console/runner.js';

const NAMED: Record<string, string> = { '\t': '\t', '\n': '\\n', '\r': '\\r', '\x1b': '\\e' };

/** `text` with every unsafe character as \n, \r, \e, \xHH or \u{HHHH}. */
export function escapeControls(text: string): string {
  return escapeText(text, NAMED);
}

/** The output with its text lines escaped; JSON lines as they are (raw text, JSON-escaped). */
export function escapedOutput(print: Output, json: boolean): Output {
  if (json) return print;
  return (text, object) => print([text].flat().map(escapeControls), object);
}
