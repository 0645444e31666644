// famez chat's commands: FAME-Z's client set (help, dump, link, ping, quit,
// rfc, send, spoof, who) with its output lines, plus waits for scripts.
import { peersNamed, severalNamed } from '../../fabric/peer-names.js';
import type { ChatMessage, FabricPeer } from '../../fabric/peer.js';
import { linkRfc } from '../../fabric/link.js';
import { CommandError, type Result } from '../console/commands.js';
import { Wakeup } from '../console/wakeup.js';
import { didYouMean } from '../nearest.js';

export const CHAT_HELP_LINES = [
  'dest/src can be an id, a nodename, "server" (or "switch"), "all" or "others"',
  '',
  'h[elp]\n\tthis message',
  "d[ump]\n\tpeers, our link and the switch's attributes",
  'l[ink] ARGS\n\tsend "Link ARGS" to the switch (such as: link CTL Peer-Attribute)',
  'p[ing] dest\n\tshorthand for "send dest ping"; done when the pong comes',
  'q[uit]\n\tleave',
  'r[fc]\n\tsend "Link RFC TTC=27us" to the switch',
  's[end] dest [text...]\n\tsend text from this client; a request (ping, Link ...) is done when answered',
  "sp[oof] src dest [text...]\n\tlike send, from another peer's slot",
  'w[ho]\n\tlist all peers',
  'wait message [from|any [seconds]]\n\twait for a message (from that sender only) no command took as its answer',
  'wait peer <id> [seconds]\n\twait until a peer is present',
].flatMap((entry) => entry.split('\n'));

const CHAT_VERBS = ['help', 'dump', 'link', 'ping', 'quit', 'rfc', 'send', 'spoof', 'who', 'wait'];
const DEFAULT_WAIT_SECONDS = 10;

/** Python's repr of a dict of strings, as FAME-Z's dump prints it. */
function pythonDict(values: Record<string, string>): string {
  return `{${Object.entries(values)
    .map(([key, value]) => `'${key}': '${value}'`)
    .join(', ')}}`;
}

export class ChatConsole {
  readonly #peer: FabricPeer;
  readonly #unwaited: ChatMessage[] = [];
  readonly #wakeup = new Wakeup();

  constructor(peer: FabricPeer) {
    this.#peer = peer;
    peer.on('message', (message) => {
      // An answer is its command's (or the chat's own greeting's): a wait takes only the rest.
      if (message.answered) return;
      this.#unwaited.push(message);
      if (this.#unwaited.length > 1000) this.#unwaited.shift();
      this.#wakeup.notify();
    });
    peer.on('peer', () => this.#wakeup.notify());
  }

  async execute(command: string): Promise<Result> {
    const words = command
      .trim()
      .split(/\s+/)
      .filter((word) => word !== '');
    const [verb = '', ...args] = words;
    const text = (skip: number): string => args.slice(skip).join(' ');
    switch (verb.toLowerCase()) {
      case 'h':
      case 'help':
      case '?':
        return { lines: CHAT_HELP_LINES, data: CHAT_HELP_LINES };
      case 'd':
      case 'dump':
        return this.#dump();
      case 'w':
      case 'who':
        return this.#who();
      case 'p':
      case 'ping':
        if (args.length !== 1) throw new CommandError('usage: ping dest');
        return this.#send(args[0]!, 'ping');
      case 's':
      case 'send':
        if (args.length < 1) throw new CommandError('usage: send dest [text...]');
        return this.#send(args[0]!, text(1));
      case 'sp':
      case 'spoof':
        if (args.length < 2) throw new CommandError('usage: spoof src dest [text...]');
        return this.#send(args[1]!, text(2), args[0]!);
      case 'l':
      case 'link':
        if (args.length < 1) throw new CommandError('usage: link ARGS (such as: link CTL Peer-Attribute)');
        return this.#send('server', `Link ${text(0)}`);
      case 'r':
      case 'rfc':
        return this.#send('server', linkRfc());
      case 'wait':
        return this.#wait(args);
      case 'q':
      case 'quit':
      case 'exit':
        return { lines: [], quit: true };
      default:
        throw new CommandError(`Unrecognized command "${verb}"${didYouMean(verb, CHAT_VERBS)}, try "help"`);
    }
  }

  /** FAME-Z's destinations: an id, a nodename, server/switch, all, others. */
  targets(word: string): number[] {
    const peers = this.#peer.peers();
    if (/^\d+$/.test(word)) {
      const id = Number(word);
      if (id >= 1 && id <= this.#peer.serverId) return [id];
      throw new CommandError(`no such peer id ${id}: ids are 1 to ${this.#peer.serverId}`);
    }
    const lower = word.toLowerCase();
    if (lower.endsWith('server') || lower.endsWith('switch')) return [this.#peer.serverId];
    if (lower === 'all') return peers.map((p) => p.id);
    if (lower === 'others') return peers.map((p) => p.id).filter((id) => id !== this.#peer.id);
    const named = peersNamed(peers, word);
    if (named.length === 1) return [named[0]!.id];
    if (named.length > 1) throw new CommandError(severalNamed(word, named));
    throw new CommandError(`unknown peer "${word}": use an id, a nodename, server, all or others (see who)`);
  }

  async #send(dest: string, body: string, src?: string): Promise<Result> {
    const from = src === undefined ? undefined : this.targets(src);
    if (from && from.length !== 1) throw new CommandError(`spoof takes one source, not "${src}"`);
    const failures: string[] = [];
    // FAME-Z's client starts the tracker again for each command.
    let resetTracker = true;
    for (const to of this.targets(dest)) {
      try {
        // Our own requests are done when answered; a spoofed one's answer goes to the peer spoofed.
        if (from) await this.#peer.send(to, body, { from: from[0], resetTracker });
        else await this.#peer.request(to, body, { resetTracker, timeoutMs: DEFAULT_WAIT_SECONDS * 1000 });
      } catch (error) {
        failures.push((error as Error).message);
      }
      resetTracker = false;
    }
    if (failures.length > 0) throw new CommandError(failures.join('; '));
    return { lines: [] };
  }

  #dump(): Result {
    const peers = this.#peer.peers();
    const { link } = this.#peer;
    const linkAttributes = { State: link.state };
    return {
      lines: [
        'Client node/host names:',
        ...peers.map((p) => `\t${String(p.id).padStart(2)} ${p.nodename}`),
        '',
        `My CID0:SID0 = ${link.cid0}:${link.sid0}`,
        'Link attributes:',
        ` ${pythonDict(linkAttributes)}`,
        'Peer attributes:',
        ` ${pythonDict(this.#peer.switchAttributes)}`,
      ],
      data: { peers, link, switchAttributes: this.#peer.switchAttributes },
    };
  }

  #who(): Result {
    const peers = this.#peer.peers();
    return {
      lines: [
        '',
        `This ID = ${String(this.#peer.id).padStart(2)} (${this.#peer.nodename})`,
        ...peers
          .filter((p) => p.id !== this.#peer.id)
          .map((p) => `Peer ID = ${String(p.id).padStart(2)} (${p.nodename})`),
      ],
      data: { id: this.#peer.id, nodename: this.#peer.nodename, peers },
    };
  }

  async #wait(args: string[]): Promise<Result> {
    const [what, ...rest] = args;
    const seconds = (word: string | undefined): number => {
      if (word === undefined) return DEFAULT_WAIT_SECONDS;
      if (!/^\d+(\.\d+)?$/.test(word)) throw new CommandError(`invalid seconds "${word}"`);
      return Number(word);
    };
    if (what === 'message') {
      // wait message [FROM|any [SECONDS]]: a lone word is the sender (`wait message 2` waits for peer 2, not 2 s).
      if (rest.length > 2) throw new CommandError('usage: wait message [from|any [seconds]]');
      const from = rest[0] === undefined || rest[0].toLowerCase() === 'any' ? undefined : this.targets(rest[0]);
      const limit = seconds(rest[1]);
      const got = await this.#wakeup.until(() => {
        const at = this.#unwaited.findIndex((m) => from === undefined || from.includes(m.from));
        return at < 0 ? undefined : this.#unwaited.splice(at, 1)[0];
      }, limit);
      if (!got) throw new CommandError(`timeout: no message${from ? ` from ${rest[0]}` : ''} within ${limit} s`);
      // The message itself was printed when it came.
      return { lines: [], data: got };
    }
    if (what === 'peer' && rest[0] !== undefined && /^\d+$/.test(rest[0])) {
      const id = Number(rest[0]);
      const limit = seconds(rest[1]);
      const present = await this.#wakeup.until(() => (this.#peer.client.peers.has(id) ? true : undefined), limit);
      if (!present) throw new CommandError(`timeout: peer ${id} did not join within ${limit} s`);
      return { lines: [`peer ${id} is present`], data: { peer: id } };
    }
    throw new CommandError('usage: wait message [from|any [seconds]] | wait peer <id> [seconds]');
  }
}
