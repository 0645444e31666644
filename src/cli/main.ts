#!/usr/bin/env -S node --no-memory-reducer
// famez: one binary, subcommands. Every command is a thin call into the library.
// The shebang turns V8's memory reducer off: an idle server then wakes for
// nothing of its own (with it, GC steps came seconds after each burst of
// activity: 26 to 150 wake-ups in 10 s of an idle fabric; none without).
import { createRequire } from 'node:module';
import { runServer } from './server-command.js';
import { didYouMean } from './nearest.js';
import { UsageError } from './usage.js';

/** Every command, in the order help lists them: `famez NAME ARGS` runs it, `famez help NAME` is `famez NAME --help`. */
const COMMANDS: Record<string, { summary: string; run: (args: string[]) => Promise<number> }> = {
  server: { summary: "run an ivshmem server (a drop-in for QEMU's ivshmem-server)", run: runServer },
  client: {
    summary: "connect as a host peer (a drop-in for QEMU's ivshmem-client)",
    run: async (args) => (await import('./client-command.js')).runClient(args),
  },
  fabric: {
    summary: "run an IVSHMSG fabric with a Gen-Z switch (a drop-in for FAME-Z's server)",
    run: async (args) => (await import('./fabric-command.js')).runFabric(args),
  },
  chat: {
    summary: "chat with an IVSHMSG fabric's peers and drive its links (a drop-in for FAME-Z's client)",
    run: async (args) => (await import('./chat-command.js')).runChat(args),
  },
  'qemu-args': {
    summary: 'print the QEMU options that attach a guest to a famez server or fabric',
    run: async (args) => (await import('./config-command.js')).runQemuArgs(args),
  },
  'libvirt-xml': {
    summary: "print libvirt's <shmem> element for a famez server or fabric",
    run: async (args) => (await import('./config-command.js')).runLibvirtXml(args),
  },
  lab: {
    summary: 'boot N tiny QEMU guests on a fabric it starts (famez lab down stops them)',
    run: async (args) => (await import('./lab-command.js')).runLab(args),
  },
};

const HELP = `Usage: famez <command> [options]

Commands:
${Object.entries(COMMANDS)
  .map(([name, { summary }]) => `  ${name.padEnd(11)} ${summary}`)
  .join('\n')}

famez help <command> (or famez <command> --help) shows a command's options; famez --version its version.
`;

function lookUp(name: string): (args: string[]) => Promise<number> {
  const found = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!found) {
    const commands = Object.keys(COMMANDS);
    const near = didYouMean(name, commands);
    throw new UsageError(
      near
        ? `famez: unknown command "${name}"${near} (commands: ${commands.join(', ')}; see famez --help)`
        : `famez: unknown command "${name}": use ${commands.join(', ')} (see famez --help)`,
    );
  }
  return found.run;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  switch (command) {
    case '-V':
    case '--version':
      process.stdout.write(
        `famez ${(createRequire(import.meta.url)('../../../package.json') as { version: string }).version}\n`,
      );
      return 0;
    case 'help':
      if (args.length > 1) throw new UsageError('famez help: takes one command (see famez --help)');
      if (args[0] !== undefined) return lookUp(args[0])(['--help']);
      process.stdout.write(HELP);
      return 0;
    case undefined:
    case '-h':
    case '--help':
      process.stdout.write(HELP);
      return command === undefined ? 2 : 0;
    default:
      return lookUp(command)(args);
  }
}

main(process.argv.slice(2)).then(
  (status) => {
    process.exitCode = status;
    // Everything is closed: whatever still holds the process (a library's forgotten timer) must not keep famez running.
    setTimeout(() => {
      process.stderr.write('famez: still running 2 s after closing everything (a leaked timer or socket): exiting\n');
      process.exit(1);
    }, 2000).unref();
  },
  (error: Error) => {
    process.stderr.write(`${error instanceof UsageError ? '' : 'famez: '}${error.message}\n`);
    process.exitCode = error instanceof UsageError ? 2 : 1;
  },
);
