// `famez client`: QEMU's ivshmem-client console over connect(). Interactive
// on a terminal (line editing, history); scripted from stdin or -c, where
// the first failing command ends the run with status 1.
import { connect, type FamezClient } from '../client/client.js';
import { describeMemoryChange } from '../client/memory.js';
import { DEFAULT_SOCKET_PATH, PROTOCOLS } from '../protocol/message.js';
import { Console, HELP_LINES } from './console/commands.js';
import { output, runConsole, type Output } from './console/runner.js';
import { hintingStart } from './invocation.js';
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

export async function runClient(args: string[]): Promise<number> {
  const values = parseOptions(COMMAND, args, CLIENT_OPTIONS);
  if (values.help) {
    process.stdout.write(CLIENT_HELP);
    return 0;
  }
  const print = output(values.json ?? false);
  const path = values['socket-path'] ?? DEFAULT_SOCKET_PATH;

  const client = await hintingStart(
    connect({
      path,
      protocol: values.protocol === undefined ? 'qemu' : choice('--protocol', values.protocol, PROTOCOLS),
      reconnect: values.reconnect ?? false,
    }),
    'server',
    DEFAULT_SOCKET_PATH,
  );
  const console = new Console(client);
  report(client, print, values.verbose ?? false);
  print(`connected to ${path}, our_id = ${client.id}`, { event: 'connected', path, our_id: client.id });

  const lost = new Promise<number>((resolve) =>
    client.on('close', (error) => {
      print(`disconnected from server${error ? `: ${error.message}` : ''}`, {
        event: 'disconnected',
        error: error?.message,
      });
      resolve(1);
    }),
  );
  try {
    return await runConsole({
      execute: (command) => console.execute(command),
      print,
      commands: values.command,
      banner: HELP_LINES, // QEMU's ivshmem-client shows its help at the start
      prompt: () => 'cmd> ',
      lost,
    });
  } finally {
    client.removeAllListeners('close');
    client.close();
  }
}

function report(client: FamezClient, print: Output, verbose: boolean): void {
  client.on('doorbell', ({ vector, count }) =>
    print(`receive notification from peer_id=${client.id} vector=${vector}`, {
      event: 'doorbell',
      peer_id: client.id,
      vector,
      count,
    }),
  );
  client.on('disconnect', (error) =>
    print(`disconnected from server${error ? `: ${error.message}` : ''}, reconnecting`, {
      event: 'disconnected',
      error: error?.message,
      reconnecting: true,
    }),
  );
  client.on('reconnect', (id) => print(`reconnected, our_id = ${id}`, { event: 'reconnected', our_id: id }));
  client.on('memory', (change, size) =>
    print(`warning: ${describeMemoryChange(change, size)}`, { event: 'memory', change, size }),
  );
  if (!verbose) return;
  client.on('peer', (id) => print(`new peer id = ${id}`, { event: 'peer', peer_id: id }));
  client.on('peer-gone', (id) => print(`delete peer id = ${id}`, { event: 'peer-gone', peer_id: id }));
}
