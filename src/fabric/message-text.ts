// Lines that quote message text (what a peer or the switch wrote in a
// message) keep it apart: a reader without the web token gets the same line
// with each quote's size in its place. The two forms are built together from
// the parts, never by searching the finished line for quotes, so nothing in
// the text (a double quote, a backslash) can make it slip through.

/** A line, and the same line with sizes for its message text when it quotes any. */
export interface TextLine {
  text: string;
  withoutText?: string;
}

class MessageText {
  constructor(
    readonly text: string,
    readonly quoted: boolean,
  ) {}
}

/** Message text for `line`, as it is. */
export const asIs = (text: string): MessageText => new MessageText(text, false);
/** Message text for `line`, in double quotes. */
export const quoted = (text: string): MessageText => new MessageText(text, true);

/** line`unknown request ${quoted(words)}`: the line, and without its message text. */
export function line(strings: TemplateStringsArray, ...parts: Array<string | number | MessageText>): TextLine {
  let text = strings[0]!;
  let withoutText = text;
  let quotes = false;
  parts.forEach((part, i) => {
    if (part instanceof MessageText) {
      quotes = true;
      text += part.quoted ? `"${part.text}"` : part.text;
      withoutText += `(${Buffer.byteLength(part.text)} bytes)`;
    } else {
      text += String(part);
      withoutText += String(part);
    }
    text += strings[i + 1]!;
    withoutText += strings[i + 1]!;
  });
  return quotes ? { text, withoutText } : { text };
}
