#!/usr/bin/env node
// famez: one binary, subcommands. Every command is a thin call into the library.
import { createRequire } from 'node:module';
import { runServer } from './server-command.js';
import { UsageError } from './usage.js';

const HELP = `Usage: famez <command> [options]

Commands:
  server   run an ivshmem server (a drop-in for QEMU's ivshmem-server)
  client   connect as a host peer (a drop-in for QEMU's ivshmem-client)

famez <command> --help shows a command's options.
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  switch (command) {
    case 'server':
      return runServer(args);
    case 'client':
      return (await import('./client-command.js')).runClient(args);
    case '-V':
    case '--version':
      process.stdout.write(`famez ${(createRequire(import.meta.url)('../../../package.json') as { version: string }).version}\n`);
      return 0;
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(HELP);
      return command === undefined ? 2 : 0;
    default:
      throw new UsageError(`famez: unknown command "${command}": use server or client (see famez --help)`);
  }
}

main(process.argv.slice(2)).then((status) => {
  process.exitCode = status;
}, (error: Error) => {
  process.stderr.write(`${error instanceof UsageError ? '' : 'famez: '}${error.message}\n`);
  process.exitCode = error instanceof UsageError ? 2 : 1;
});
