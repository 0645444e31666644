// Running a console: interactive on a terminal (line editing, history), or a
// script from -c or stdin in which the first failing command ends the run
// with status 1. Output is text lines, or one JSON line each with --json.
import { clearLine, createInterface, cursorTo, type Interface } from 'node:readline';
import { CommandError, type Result } from './commands.js';
import { splitCommands } from './split.js';

/** Prints lines of text, or in --json mode the object as one line. */
export type Output = (text: string | string[], json: Record<string, unknown>) => void;

export function output(json: boolean): Output {
  return (text, object) => {
    const lines = json ? [JSON.stringify(object)] : [text].flat();
    if (lines.length > 0) write(`${lines.join('\n')}\n`);
  };
}

/** The prompt while it waits for input: what events print then goes above it. */
let waiting: Interface | undefined;

/**
 * Readline's way for a line that comes while the user types: clear the prompt, print, redraw it with what was typed.
 */
function write(text: string): void {
  if (!waiting) {
    process.stdout.write(text);
    return;
  }
  clearLine(process.stdout, 0);
  cursorTo(process.stdout, 0);
  process.stdout.write(text);
  waiting.prompt(true);
}

export interface ConsoleRun {
  /** Runs one command; throws CommandError (or RangeError) when it fails. */
  execute(command: string): Promise<Result>;
  print: Output;
  /** -c's commands; else stdin (a script, or interactive on a terminal). */
  commands?: string;
  /** Interactive only: shown once at the start, and the prompt. */
  banner?: readonly string[];
  prompt: () => string;
  /** Settles with the status when the connection is lost for good. */
  lost: Promise<number>;
}

/** Runs the console to its end: the exit status. */
export function runConsole(run: ConsoleRun): Promise<number> {
  const one = (command: string): Promise<boolean | 'quit'> => execute(run, command);
  const interactive = run.commands === undefined && process.stdin.isTTY === true;
  const body =
    run.commands !== undefined
      ? script(splitCommands(run.commands), one)
      : interactive
        ? prompt(run, one)
        : script(stdinCommands(), one);
  // Whatever ended the run (quit, end of input, the connection lost), stdin must not keep the process alive.
  return Promise.race([run.lost, body]).finally(() => process.stdin.destroy());
}

/** Runs one command and prints its outcome; false if it failed. */
async function execute(run: ConsoleRun, command: string): Promise<boolean | 'quit'> {
  try {
    const result = await run.execute(command);
    if (result.quit) return 'quit';
    run.print(result.lines, { command, ok: true, result: result.data ?? null });
    return true;
  } catch (error) {
    if (!(error instanceof CommandError) && !(error instanceof RangeError)) throw error;
    run.print(error.message, { command, ok: false, error: error.message });
    return false;
  }
}

/** Commands in order; the first failure ends the run with status 1. */
async function script(
  commands: Iterable<string> | AsyncIterable<string>,
  one: (command: string) => Promise<boolean | 'quit'>,
): Promise<number> {
  for await (const command of commands) {
    const outcome = await one(command);
    if (outcome === 'quit') return 0;
    if (!outcome) return 1;
  }
  return 0;
}

async function* stdinCommands(): AsyncGenerator<string> {
  const rl = createInterface({ input: process.stdin, terminal: false });
  try {
    for await (const line of rl) yield* splitCommands(line);
  } finally {
    rl.close();
  }
}

/** The interactive console: readline gives line editing and history. */
async function prompt(run: ConsoleRun, one: (command: string) => Promise<boolean | 'quit'>): Promise<number> {
  if (run.banner) process.stdout.write(`${run.banner.join('\n')}\n`);
  const rl = createInterface({ input: process.stdin, output: process.stdout, prompt: run.prompt(), historySize: 1000 });
  rl.prompt();
  waiting = rl;
  try {
    for await (const line of rl) {
      waiting = undefined;
      for (const command of splitCommands(line)) {
        if ((await one(command)) === 'quit') return 0;
      }
      rl.setPrompt(run.prompt());
      rl.prompt();
      waiting = rl;
    }
    return 0;
  } finally {
    waiting = undefined;
    rl.close();
  }
}
