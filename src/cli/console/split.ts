// Splits console input into commands (on ';' and newlines, as QEMU's client
// does) and commands into words, keeping "quoted text" whole.

export function splitCommands(input: string): string[] {
  const commands: string[] = [];
  let current = '';
  let quoted = false;
  for (const char of input) {
    if (char === '"') quoted = !quoted;
    if (!quoted && (char === ';' || char === '\n' || char === '\r')) {
      commands.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  commands.push(current);
  return commands.map((command) => command.trim()).filter(Boolean);
}

export type Word = { text: string; quoted: boolean };

export function splitWords(command: string): Word[] {
  const words: Word[] = [];
  const pattern = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (let match = pattern.exec(command); match; match = pattern.exec(command)) {
    words.push(
      match[1] !== undefined
        ? {
            text: match[1].replace(
              /\\(.)/g,
              (_, c: string) => (({ n: '\n', t: '\t', 0: '\0' }) as Record<string, string>)[c] ?? c,
            ),
            quoted: true,
          }
        : { text: match[2]!, quoted: false },
    );
  }
  return words;
}
