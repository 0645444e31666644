// QEMU's own ivshmem-server and ivshmem-client (built from QEMU's source by
// build-qemu-tools.sh) and famez's client, driven side by side through their
// consoles, as a person or a script would.
import path from 'node:path';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { before, after, type TestContext } from 'node:test';
import { repoRoot, runBuildScript, skipE2e } from '../e2e/harness.js';
import { LineProcess } from '../helpers/line-process.js';
import { MAIN } from '../cli/cli.js';
import { waitFor } from '../helpers/fds.js';
import type { FamezClient } from '../../src/index.js';
import { listeningSockets } from '../../src/server/socket-path.js';

interface QemuTools {
  server: string;
  client: string;
}

function qemuToolsDir(): string {
  return process.env.FAMEZ_QEMU_TOOLS_DIR || path.join(repoRoot(), 'node_modules', '.cache', 'famez-qemu-tools');
}

let building: Promise<QemuTools> | undefined;
let built: QemuTools | undefined;

/** Builds QEMU's two programs once (cheap when cached) and returns their paths. */
function ensureQemuTools(): Promise<QemuTools> {
  const dir = qemuToolsDir();
  building ??= runBuildScript(
    path.join(repoRoot(), 'test', 'interop', 'build-qemu-tools.sh'),
    dir,
    'QEMU ivshmem tools',
  ).then(() => {
    const tools = { server: path.join(dir, 'ivshmem-server'), client: path.join(dir, 'ivshmem-client') };
    if (!existsSync(tools.server) || !existsSync(tools.client))
      throw new Error(`famez tests: the QEMU tools build left no binaries in ${dir}`);
    return tools;
  });
  return building;
}

function builtTools(): QemuTools {
  if (!built) throw new Error("famez tests: QEMU's tools are not built: call useQemuTools() in the test file");
  return built;
}

/**
 * The tests fail rather than skip when the tools cannot be built; FAMEZ_E2E=0 leaves them out, like the guest tests.
 */
export { skipE2e as skip };

/**
 * Registers a test file's hooks: QEMU's tools built before its tests, and a
 * scratch folder (returned) removed after them.
 */
export function useQemuTools(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'famez-interop-'));
  before(async () => {
    if (!skipE2e) built = await ensureQemuTools();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** What a `dump` printed: our id and every peer's doorbell fds, ours included. */
export interface Dump {
  ourId: number;
  /** Peer id → the fd numbers of its vectors, in the order printed. */
  peers: Map<number, number[]>;
  /** The dump's own lines, prompts taken off. */
  lines: string[];
}

const PROMPT = /^(cmd> )*/;
const HELP_FIRST = /dump: dump peers \(including us\)$/;

/** Parses QEMU's dump lines (our_id = N / peer_id = N / "  vector V is enabled (fd=F)"). */
function parseDump(lines: string[]): Dump {
  const peers = new Map<number, number[]>();
  let ourId: number | undefined;
  let current: number[] | undefined;
  for (const line of lines) {
    const head = /^(our_id|peer_id) = (\d+)$/.exec(line);
    const vector = /^ {2}vector (\d+) is enabled \(fd=(\d+)\)$/.exec(line);
    if (head) {
      const id = Number(head[2]);
      if (head[1] === 'our_id') ourId = id;
      current = [];
      peers.set(id, current);
    } else if (vector && current && Number(vector[1]) === current.length) {
      current.push(Number(vector[2]));
    } else {
      throw new Error(`not a dump line: ${JSON.stringify(line)} in ${JSON.stringify(lines)}`);
    }
  }
  if (ourId === undefined) throw new Error(`dump without our_id: ${JSON.stringify(lines)}`);
  return { ourId, peers, lines };
}

/** A console that speaks QEMU ivshmem-client's commands: QEMU's own or famez's. */
export class Console extends LineProcess {
  /**
   * Runs `dump`, then `help` as an end marker (both programs answer it), and
   * parses what came between. Event lines printed meanwhile are left out.
   */
  async dump(): Promise<Dump> {
    const from = this.stdout.length;
    this.send('dump');
    this.send('help');
    const start = await this.lineIndex(/^(cmd> )*our_id = \d+$/, 10_000, from);
    const end = await this.lineIndex(HELP_FIRST, 10_000, start);
    const lines = this.stdout
      .slice(start, end)
      .map((line) => line.replace(PROMPT, ''))
      .filter((line) => /^(our_id|peer_id) = |^ {2}vector /.test(line));
    return parseDump(lines);
  }

  /** Runs `ring` (something that rings us), then waits for QEMU's notification line for each of `vectors`. */
  async hears(ring: () => void, ourId: number, ...vectors: number[]): Promise<void> {
    const from = this.stdout.length;
    ring();
    await Promise.all(vectors.map((vector) => this.notification(ourId, vector, from)));
  }

  /** Waits for QEMU's line for a doorbell received on `vector`, from stdout line `from` on. */
  notification(ourId: number, vector: number, from = 0, timeoutMs = 10_000): Promise<number> {
    return this.lineIndex(new RegExp(`receive notification from peer_id=${ourId} vector=${vector}$`), timeoutMs, from);
  }
}

/**
 * QEMU's ivshmem-client, unchanged. stdbuf makes its stdout line-buffered on
 * a pipe, as it is on a terminal; its stdin stays open (at end of input it
 * would spin printing prompts).
 */
export class QemuClient extends Console {
  constructor(t: TestContext, socketPath: string) {
    super(t, 'QEMU ivshmem-client', 'stdbuf', ['-oL', builtTools().client, '-S', socketPath]);
  }

  /** Resolves once connected, with the socket fd line QEMU prints. */
  connected(): Promise<string> {
    return this.line(/listen on server socket \d+$/);
  }
}

/** `famez client`, scripted from its stdin. */
export class FamezConsole extends Console {
  constructor(t: TestContext, socketPath: string, extra: string[] = []) {
    super(t, 'famez client', process.execPath, [MAIN, 'client', '-S', socketPath, ...extra]);
  }

  /** Resolves to our id once connected. */
  async connected(): Promise<number> {
    return Number(/our_id = (\d+)$/.exec(await this.line(/^connected to .*, our_id = \d+$/))![1]);
  }
}

/** QEMU's ivshmem-server, unchanged, in the foreground (-v: it logs each peer). */
export class QemuServer extends LineProcess {
  constructor(
    t: TestContext,
    readonly socketPath: string,
    args: string[],
  ) {
    super(t, 'QEMU ivshmem-server', 'stdbuf', ['-oL', builtTools().server, '-F', '-v', '-S', socketPath, ...args]);
  }

  /** Resolves once the socket listens (read from /proc/net/unix: no probe peer). */
  async ready(): Promise<void> {
    await waitFor(
      () => listeningSockets().has(this.socketPath) || !this.running,
      `${this.name} to listen on ${this.socketPath}`,
      10_000,
      20,
    );
    if (!this.running) throw new Error(`${this.name} exited: ${this.stderr.join(' | ')}`);
  }
}

/** Resolves at the next doorbell `client` receives on `vector`. */
export function doorbell(client: FamezClient, vector: number): Promise<void> {
  return new Promise((resolve) => {
    const listener = (event: { vector: number }): void => {
      if (event.vector !== vector) return;
      client.off('doorbell', listener);
      resolve();
    };
    client.on('doorbell', listener);
  });
}
