// A real nats-server for the cluster tests: JetStream on, a random free
// loopback port, a temporary store; stopped (and restartable on the same port
// and store, as after a crash) by the test.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

const BINARY = ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server'].find((path) =>
  existsSync(path),
);

/** Why the cluster tests cannot run here (no nats-server), or undefined. */
export const natsMissing: string | undefined = BINARY
  ? undefined
  : 'nats-server is not installed (apt-get install nats-server)';

/** Ports handed out in this process: a port just closed may be the kernel's next pick, for another caller. */
const handedOut = new Set<number>();

/** A free loopback port, never one handed out before in this process (three servers' routes and clients differ). */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.on('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    return port;
  }
}

function accepting(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export class NatsServer {
  #child?: ChildProcess;
  #log = '';

  private constructor(
    readonly port: number,
    readonly storeDir: string,
    readonly extra: string[] = [],
    readonly host = '127.0.0.1',
  ) {}

  get url(): string {
    return `nats://${this.host}:${this.port}`;
  }

  get log(): string {
    return this.#log;
  }

  /** Starts one for the test; it is killed and its store removed after the test. */
  static async start(t: TestContext, extra: string[] = [], host = '127.0.0.1'): Promise<NatsServer> {
    const nats = new NatsServer(await freePort(), mkdtempSync(join(tmpdir(), 'famez-nats-')), extra, host);
    t.after(() => nats.remove());
    await nats.restart();
    return nats;
  }

  /** Starts one that the caller removes (the bench). */
  static async launch(): Promise<NatsServer> {
    const nats = new NatsServer(await freePort(), mkdtempSync(join(tmpdir(), 'famez-nats-')));
    await nats.restart();
    return nats;
  }

  /** Stops it and removes its store. */
  async remove(): Promise<void> {
    await this.stop();
    rmSync(this.storeDir, { recursive: true, force: true });
  }

  /** Starts it (again) on its port and store. */
  async restart(): Promise<void> {
    if (this.#child) throw new Error('nats-server is running');
    const child = (this.#child = spawn(
      BINARY!,
      ['-js', '-a', this.host, '-p', String(this.port), '-sd', this.storeDir, ...this.extra],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    ));
    child.stderr!.on('data', (chunk: Buffer) => {
      this.#log += chunk.toString();
    });
    const deadline = Date.now() + 20_000;
    while (!(await accepting(this.host, this.port))) {
      if (child.exitCode !== null) throw new Error(`nats-server exited ${child.exitCode}: ${this.#log}`);
      if (Date.now() > deadline) throw new Error(`nats-server did not listen on ${this.port}: ${this.#log}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Kills it (SIGKILL: as a crash or a lost network looks to the clients). */
  async stop(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    this.#child = undefined;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
}
