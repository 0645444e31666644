// -d: run the server in the background. The parent starts a detached copy of
// itself and exits once the copy says it is listening (or why it is not).
import { spawn } from 'node:child_process';
import { writeSync, closeSync } from 'node:fs';
import { redirectStdio } from '../sys/index.js';

const READY_ENV = 'FAMEZ_DAEMON_READY_FD';

export function isDaemonChild(): boolean {
  return process.env[READY_ENV] !== undefined;
}

/** In the parent: start the daemon, wait for its word; the exit status. */
export function daemonize(name = 'famez server'): Promise<number> {
  const child = spawn(process.execPath, process.argv.slice(1), {
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    env: { ...process.env, [READY_ENV]: '3' },
  });
  let said = '';
  let errors = '';
  child.stdio[3]!.on('data', (chunk: Buffer) => {
    said += chunk.toString();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    errors += chunk.toString();
  });
  return new Promise((resolve) => {
    const done = (status: number): void => {
      child.stdio[3]!.destroy();
      child.stderr!.destroy();
      child.unref();
      resolve(status);
    };
    child.stdio[3]!.on('end', () => {
      if (said.startsWith('ready')) {
        process.stdout.write(`${name} running in the background, pid ${child.pid}\n`);
        done(0);
      }
    });
    child.on('exit', (code) => {
      if (!said.startsWith('ready')) {
        process.stderr.write(errors || `${name}: the background process exited with status ${code}\n`);
        done(code || 1);
      }
    });
  });
}

/** In the daemon: tell the parent we are listening, and let go of the terminal. */
export function reportReady(): void {
  const fd = Number(process.env[READY_ENV]);
  if (!Number.isInteger(fd)) return;
  delete process.env[READY_ENV];
  writeSync(fd, 'ready\n');
  closeSync(fd);
  // dup2, not close: a closed fd 2 would be the next peer socket's number, and Node's diagnostics would go to that
  // peer.
  redirectStdio('/dev/null');
}
