// The loop of a service's console on a terminal (famez server, famez fabric):
// a prompt, one command a line, quit (or end of input) ends it.
import { createInterface } from 'node:readline';

export type Print = (text: string) => void;

/** Runs until quit; `handle` answers every other non-empty line through `print`. */
export function promptLoop(prompt: string, handle: (command: string, print: Print) => void): Promise<void> {
  const rl = createInterface({ input: process.stdin, output: process.stdout, prompt });
  const print: Print = (text) => {
    process.stdout.write(`${text}\n`);
  };
  return new Promise((resolve) => {
    rl.on('line', (line) => {
      const command = line.trim();
      if (command === 'q' || command === 'quit') return rl.close();
      if (command !== '') handle(command, print);
      rl.prompt();
    });
    rl.on('close', () => resolve());
    rl.prompt();
  });
}
