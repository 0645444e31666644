// `famez client`: QEMU's ivshmem-client console over connect(). Interactive
// on a terminal (line editing, history); scripted from stdin or -c, where
// the first failing command ends the run with status 1.
import { createInterface } from 'node:readline';
import { connect, type FamezClient } from '../client/client.js';
import { DEFAULT_SOCKET_PATH, PROTOCOLS } from '../protocol/message.js';
import { CommandError, Console, HELP_LINES } from './console/commands.js';
import { splitCommands } from './console/split.js';
import { choice, parseOptions } from './usage.js';

const COMMAND = 'famez client';

const CLIENT_OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  verbose: { type: 'boolean', short: 'v' },
  'socket-path': { type: 'string', short: 'S' },
  command: { type: 'string', short: 'c' },
  json: { type: 'boolean' },
  reconnect: { type: 'boolean' },
  protocol: { type: 'string' },
} as const;

export const CLIENT_HELP = `Usage: famez client [options]
Connect to an ivshmem server as a host peer; commands as QEMU's ivshmem-client.

  -S, --socket-path PATH  the server's socket (default ${DEFAULT_SOCKET_PATH})
  -c, --command "CMDS"    run these commands (separated by ;) and exit
      --json              print every event and result as one JSON line
      --reconnect         wait for the server, and connect again when it goes away
      --protocol P        qemu (default) or legacy
  -v, --verbose           also report peers joining and leaving
  -h, --help              this help

Commands:
${HELP_LINES.map((line) => `  ${line}`).join('\n')}
`;

/** Prints lines of text, or in --json mode the object as one line. */
type Output = (text: string | string[], json: Record<string, unknown>) => void;
type Run = (command: string) => Promise<boolean | 'quit'>;

export async function runClient(args: string[]): Promise<number> {
  const values = parseOptions(COMMAND, args, CLIENT_OPTIONS);
  if (values.help) {
    process.stdout.write(CLIENT_HELP);
    return 0;
  }
  const json = values.json ?? false;
  const print: Output = (text, object) => {
    const lines = json ? [JSON.stringify(object)] : [text].flat();
    if (lines.length > 0) process.stdout.write(`${lines.join('\n')}\n`);
  };
  const interactive = values.command === undefined && process.stdin.isTTY === true;
  const path = values['socket-path'] ?? DEFAULT_SOCKET_PATH;

  const client = await connect({
    path,
    protocol: values.protocol === undefined ? 'qemu' : choice('--protocol', values.protocol, PROTOCOLS),
    reconnect: values.reconnect ?? false,
  });
  const console = new Console(client);
  report(client, print, values.verbose ?? false);
  print(`connected to ${path}, our_id = ${client.id}`, { event: 'connected', path, our_id: client.id });

  const lost = new Promise<number>((resolve) => client.on('close', (error) => {
    print(`disconnected from server${error ? `: ${error.message}` : ''}`, { event: 'disconnected', error: error?.message });
    resolve(1);
  }));
  const run: Run = (command) => execute(console, command, print);
  try {
    if (values.command !== undefined) return await Promise.race([lost, script(splitCommands(values.command), run)]);
    if (interactive) return await Promise.race([lost, prompt(run)]);
    return await Promise.race([lost, stdinScript(run)]);
  } finally {
    client.removeAllListeners('close');
    client.close();
  }
}

function report(client: FamezClient, print: Output, verbose: boolean): void {
  client.on('doorbell', ({ vector, count }) => print(`receive notification from peer_id=${client.id} vector=${vector}`,
    { event: 'doorbell', peer_id: client.id, vector, count }));
  client.on('disconnect', (error) => print(`disconnected from server${error ? `: ${error.message}` : ''}, reconnecting`,
    { event: 'disconnected', error: error?.message, reconnecting: true }));
  client.on('reconnect', (id) => print(`reconnected, our_id = ${id}`, { event: 'reconnected', our_id: id }));
  if (!verbose) return;
  client.on('peer', (id) => print(`new peer id = ${id}`, { event: 'peer', peer_id: id }));
  client.on('peer-gone', (id) => print(`delete peer id = ${id}`, { event: 'peer-gone', peer_id: id }));
}

/** Runs one command and prints its outcome; false if it failed. */
async function execute(console: Console, command: string, print: Output): Promise<boolean | 'quit'> {
  try {
    const result = await console.execute(command);
    if (result.quit) return 'quit';
    print(result.lines, { command, ok: true, result: result.data ?? null });
    return true;
  } catch (error) {
    if (!(error instanceof CommandError) && !(error instanceof RangeError)) throw error;
    print(error.message, { command, ok: false, error: error.message });
    return false;
  }
}

/** Commands in order; the first failure ends the run with status 1. */
async function script(commands: Iterable<string> | AsyncIterable<string>, run: Run): Promise<number> {
  for await (const command of commands) {
    const outcome = await run(command);
    if (outcome === 'quit') return 0;
    if (!outcome) return 1;
  }
  return 0;
}

async function* stdinCommands(): AsyncGenerator<string> {
  for await (const line of createInterface({ input: process.stdin, terminal: false })) yield* splitCommands(line);
}

function stdinScript(run: Run): Promise<number> {
  return script(stdinCommands(), run);
}

/** The interactive console: readline gives line editing and history. */
async function prompt(run: Run): Promise<number> {
  process.stdout.write(`${HELP_LINES.join('\n')}\n`);
  const rl = createInterface({ input: process.stdin, output: process.stdout, prompt: 'cmd> ', historySize: 1000 });
  rl.prompt();
  try {
    for await (const line of rl) {
      for (const command of splitCommands(line)) {
        if (await run(command) === 'quit') return 0;
      }
      rl.prompt();
    }
    return 0;
  } finally {
    rl.close();
  }
}
