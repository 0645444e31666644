// `famez chat`: FAME-Z's ivshmsg_client.py over connectFabric(). Its output
// lines are FAME-Z's, so that habits and scripts carry over; -c, stdin
// scripts, --json and --reconnect work as in `famez client`.
import { DEFAULT_FABRIC_SOCKET } from '../fabric/common.js';
import { connectFabric, type FabricPeer } from '../fabric/peer.js';
import { CHAT_HELP_LINES, ChatConsole } from './chat/commands.js';
import { output, runConsole, type Output } from './console/runner.js';
import { hintingStart } from './invocation.js';
import { escapedOutput } from './terminal-text.js';
import { eitherSpelling, parseOptions } from './usage.js';

const COMMAND = 'famez chat';

const CHAT_OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  socketpath: { type: 'string', short: 'S' },
  'socket-path': { type: 'string' },
  command: { type: 'string', short: 'c' },
  json: { type: 'boolean' },
  reconnect: { type: 'boolean' },
  verbose: { type: 'boolean', short: 'v', multiple: true },
} as const;

export const CHAT_HELP = `Usage: famez chat [options]
Chat with the peers of an IVSHMSG fabric (famez fabric or FAME-Z's server) and drive
the Gen-Z link exchange by hand: a drop-in for FAME-Z's ivshmsg_client.py.

  -S, --socketpath PATH   the fabric's socket (default ${DEFAULT_FABRIC_SOCKET}; also --socket-path)
  -c, --command "CMDS"    run these commands (separated by ;) and exit; status 1 if one fails
      --json              print every event and result as one JSON line
      --reconnect         wait for the fabric, and connect again when it goes away
  -v, --verbose           also print what we send
  -h, --help              this help

Commands:
${CHAT_HELP_LINES.map((line) => `  ${line}`).join('\n')}
`;

export async function runChat(args: string[]): Promise<number> {
  const values = parseOptions(COMMAND, args, CHAT_OPTIONS);
  if (values.help) {
    process.stdout.write(CHAT_HELP);
    return 0;
  }
  // Names and messages are the peers' own text: escaped on a terminal, raw in JSON.
  const print = escapedOutput(output(values.json ?? false), values.json ?? false);
  const path =
    eitherSpelling(COMMAND, ['--socketpath', '--socket-path'], values.socketpath, values['socket-path']) ??
    DEFAULT_FABRIC_SOCKET;
  const peer = await hintingStart(
    connectFabric({ path, reconnect: values.reconnect ?? false }),
    'fabric',
    DEFAULT_FABRIC_SOCKET,
  );
  const console = new ChatConsole(peer);
  report(peer, print, (values.verbose?.length ?? 0) > 0);
  print(
    [
      `This ID = ${String(peer.id).padStart(2)} (${peer.nodename})`,
      'Active client list now complete',
      `Ready player ${peer.nodename}`,
    ],
    { event: 'ready', id: peer.id, nodename: peer.nodename, peers: peer.peers() },
  );
  const lost = new Promise<number>((resolve) =>
    peer.on('close', (error) => {
      print(error ? `The server was probably shut down: ${error.message}` : 'The server was probably shut down.', {
        event: 'disconnected',
        error: error?.message,
      });
      resolve(1);
    }),
  );
  // A script's first command sees the switch's attributes, and a wait never gets their ACK.
  await Promise.race([peer.greeting, lost]);
  try {
    return await runConsole({
      execute: (command) => console.execute(command),
      print,
      commands: values.command,
      banner: [`famez chat on ${path}: type help for the commands, quit (or Ctrl-D) to leave`],
      prompt: () => `${peer.nodename}> `,
      lost,
    });
  } finally {
    peer.removeAllListeners('close');
    peer.close();
  }
}

/** FAME-Z's lines for what happens on the fabric. */
function report(peer: FabricPeer, print: Output, verbose: boolean): void {
  peer.on('message', ({ from, nodename, text, body, tracker }) =>
    print(
      ['', `${(nodename || String(from)).padStart(10)} -> "${body}"${tracker === undefined ? '' : ` (${tracker})`}`],
      { event: 'message', from, nodename, text, body, tracker },
    ),
  );
  peer.on('peer', (id) => print(`New client ${id} complete`, { event: 'peer', id }));
  peer.on('peer-gone', ({ id, nodename }) =>
    print(`${nodename} (${id}) has left the building`, { event: 'peer-gone', id, nodename }),
  );
  peer.on('configured', (link) =>
    print(`link configured: CID0=${link.cid0}, SID0=${link.sid0} (PFM ${link.pfmCid0}:${link.pfmSid0})`, {
      event: 'configured',
      ...link,
    }),
  );
  peer.on('warning', (text) => print(`warning: ${text}`, { event: 'warning', text }));
  peer.on('disconnect', (error) =>
    print(`disconnected from the fabric${error ? `: ${error.message}` : ''}, reconnecting`, {
      event: 'disconnected',
      error: error?.message,
      reconnecting: true,
    }),
  );
  peer.on('reconnect', (id) =>
    print(`reconnected: This ID = ${String(id).padStart(2)} (${peer.nodename})`, { event: 'reconnected', id }),
  );
  if (verbose)
    peer.on('sent', ({ from, to, text }) =>
      print(`${'sent'.padStart(10)} <- "${text}" to ${to}${from === peer.id ? '' : ` from ${from}`}`, {
        event: 'sent',
        from,
        to,
        text,
      }),
    );
}
