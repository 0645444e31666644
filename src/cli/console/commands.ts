// The client console's commands: QEMU's ivshmem-client set (help, dump, int)
// with its output lines, plus memory and wait commands for debugging.
import type { FamezClient } from '../../client/client.js';
import { MemoryCutError } from '../../client/memory.js';
import { hexdump } from './hexdump.js';
import { splitWords, type Word } from './split.js';
import { Wakeup } from './wakeup.js';
import { didYouMean } from '../nearest.js';

export interface Result {
  /** What a person reads, line by line. */
  lines: string[];
  /** The same for --json. */
  data?: unknown;
  quit?: boolean;
}

export class CommandError extends Error {
  override name = 'CommandError';
}

export const HELP_LINES = [
  'dump: dump peers (including us)',
  'int <peer> <vector>: notify one vector on a peer',
  'int <peer> all: notify all vectors of a peer',
  'int all: notify all vectors of all peers (excepting us)',
  'read <offset> [length]: hex dump of shared memory (default 64 bytes)',
  'write <offset> "text" | 0xHEXBYTES: write to shared memory',
  'fill <offset> <length> <byte>: fill shared memory',
  'wait doorbell [vector] [seconds]: wait for a doorbell not yet waited for',
  'wait peer <id> [seconds]: wait until a peer is present',
  'quit: leave',
];

const VERBS = ['help', 'dump', 'int', 'read', 'write', 'fill', 'wait', 'quit'];
const DEFAULT_WAIT_SECONDS = 10;
const MAX_READ = 1 << 20;

/** Parses 123 or 0x7b; `what` names the value in the error. */
function number(word: Word | undefined, what: string): number {
  const text = word?.text;
  const value =
    text === undefined
      ? NaN
      : /^0x[0-9a-f]+$/i.test(text)
        ? parseInt(text, 16)
        : /^\d+$/.test(text)
          ? Number(text)
          : NaN;
  if (!Number.isSafeInteger(value))
    throw new CommandError(`invalid ${what} "${text ?? ''}": expected a number (decimal or 0x hex)`);
  return value;
}

export class Console {
  readonly #client: FamezClient;
  /** Doorbells received and not yet consumed by a wait, per vector. */
  readonly #unwaited = new Map<number, number>();
  readonly #wakeup = new Wakeup();

  constructor(client: FamezClient) {
    this.#client = client;
    client.on('doorbell', ({ vector }) => {
      this.#unwaited.set(vector, (this.#unwaited.get(vector) ?? 0) + 1);
      this.#wakeup.notify();
    });
    client.on('peer', () => this.#wakeup.notify());
  }

  async execute(command: string): Promise<Result> {
    const words = splitWords(command);
    const [verb, ...args] = words;
    switch (verb?.text) {
      case 'help':
      case '?':
        return { lines: HELP_LINES, data: HELP_LINES };
      case 'dump':
        return this.#dump();
      case 'int':
        return this.#int(args);
      case 'read':
        return this.#read(args);
      case 'write':
        return this.#write(args);
      case 'fill':
        return this.#fill(args);
      case 'wait':
        return this.#wait(args);
      case 'quit':
      case 'exit':
        return { lines: [], quit: true };
      default:
        throw new CommandError(`invalid command${didYouMean(verb?.text ?? '', VERBS)}, type help`);
    }
  }

  #dump(): Result {
    const client = this.#client;
    const lines: string[] = [];
    const peers: { id: number; self: boolean; vectors: number[] }[] = [];
    const ids = [client.id, ...[...client.peers.keys()].filter((id) => id !== client.id).sort((a, b) => a - b)];
    for (const id of ids) {
      const fds = client.doorbellFds(id);
      lines.push(id === client.id ? `our_id = ${id}` : `peer_id = ${id}`);
      fds.forEach((fd, vector) => lines.push(`  vector ${vector} is enabled (fd=${fd})`));
      peers.push({ id, self: id === client.id, vectors: [...fds] });
    }
    return { lines, data: { our_id: client.id, peers } };
  }

  #int(args: Word[]): Result {
    const client = this.#client;
    if (args.length === 1 && args[0]!.text === 'all') {
      const targets = [...client.peers.keys()].filter((id) => id !== client.id);
      for (const peer of targets) client.ring(peer, 'all');
      return { lines: [], data: { rang: targets } };
    }
    if (args.length !== 2) throw new CommandError('usage: int <peer> <vector> | int <peer> all | int all');
    const peer = number(args[0], 'peer');
    if (!client.peers.has(peer)) throw new CommandError(`cannot find peer_id = ${peer}`);
    const vector = args[1]!.text === 'all' ? 'all' : number(args[1], 'vector');
    if (vector !== 'all' && vector >= (client.peers.get(peer) ?? 0)) {
      throw new CommandError(`invalid vector ${vector} on peer ${peer} (it has ${client.peers.get(peer)})`);
    }
    client.ring(peer, vector);
    return { lines: [], data: { peer, vector } };
  }

  /** Runs `use` on a window over [offset, offset + length), released afterwards. */
  #window<T>(offset: number, length: number, use: (view: Uint8Array) => T): T {
    const memory = this.#client.memory;
    if (length < 1 || offset + length > memory.size) {
      throw new CommandError(`range ${offset}+${length} is outside the shared memory (${memory.size} bytes)`);
    }
    let view: Uint8Array;
    try {
      view = memory.map(offset, length);
    } catch (error) {
      if (error instanceof MemoryCutError) throw new CommandError(`warning: ${error.message}`);
      throw error;
    }
    try {
      return use(view);
    } finally {
      memory.unmap(view);
    }
  }

  #read(args: Word[]): Result {
    const offset = number(args[0], 'offset');
    const length = args[1] === undefined ? Math.min(64, this.#client.memory.size - offset) : number(args[1], 'length');
    if (length > MAX_READ)
      throw new CommandError(`length ${length} is too long: read at most ${MAX_READ} bytes at once`);
    const bytes = this.#window(offset, length, (view) => view.slice());
    return { lines: hexdump(bytes, offset), data: { offset, length, hex: Buffer.from(bytes).toString('hex') } };
  }

  #write(args: Word[]): Result {
    const offset = number(args[0], 'offset');
    const value = args[1];
    if (!value || args.length > 2) throw new CommandError('usage: write <offset> "text" | write <offset> 0xHEXBYTES');
    let bytes: Uint8Array;
    if (value.quoted) bytes = new TextEncoder().encode(value.text);
    else if (/^0x([0-9a-f]{2})+$/i.test(value.text)) bytes = Buffer.from(value.text.slice(2), 'hex');
    else
      throw new CommandError(`invalid data ${value.text}: write "quoted text" or 0x followed by pairs of hex digits`);
    this.#window(offset, bytes.length, (view) => view.set(bytes));
    return { lines: [`wrote ${bytes.length} bytes at ${offset}`], data: { offset, length: bytes.length } };
  }

  #fill(args: Word[]): Result {
    const offset = number(args[0], 'offset');
    const length = number(args[1], 'length');
    const byte = number(args[2], 'byte');
    if (byte > 255) throw new CommandError(`invalid byte ${byte}: expected 0..255`);
    this.#window(offset, length, (view) => view.fill(byte));
    return {
      lines: [`filled ${length} bytes at ${offset} with 0x${byte.toString(16).padStart(2, '0')}`],
      data: { offset, length, byte },
    };
  }

  async #wait(args: Word[]): Promise<Result> {
    const [what, ...rest] = args;
    if (what?.text === 'doorbell') {
      const vector = rest[0] === undefined ? undefined : number(rest[0], 'vector');
      const seconds = rest[1] === undefined ? DEFAULT_WAIT_SECONDS : number(rest[1], 'seconds');
      const take = (): number | undefined => {
        for (const [v, count] of this.#unwaited) {
          if (count > 0 && (vector === undefined || v === vector)) {
            this.#unwaited.set(v, count - 1);
            return v;
          }
        }
        return undefined;
      };
      const got = await this.#wakeup.until(take, seconds);
      if (got === undefined)
        throw new CommandError(
          `timeout: no doorbell${vector === undefined ? '' : ` on vector ${vector}`} within ${seconds} s`,
        );
      return { lines: [`doorbell on vector ${got}`], data: { vector: got } };
    }
    if (what?.text === 'peer') {
      const peer = number(rest[0], 'peer');
      const seconds = rest[1] === undefined ? DEFAULT_WAIT_SECONDS : number(rest[1], 'seconds');
      const present = await this.#wakeup.until(() => (this.#client.peers.has(peer) ? true : undefined), seconds);
      if (!present) throw new CommandError(`timeout: peer ${peer} did not join within ${seconds} s`);
      return { lines: [`peer ${peer} is present`], data: { peer } };
    }
    throw new CommandError('usage: wait doorbell [vector] [seconds] | wait peer <id> [seconds]');
  }
}
