// famez fabric: an ivshmem server whose memory is FAME-Z's IVSHMSG mailbox
// and in which the server takes part as a Gen-Z switch, through a built-in
// peer. The switch logic is pure (switch.ts); this file carries it out.
import { EventEmitter } from 'node:events';
import { Mailbox, MailboxError, geometry, DEFAULT_CLIENTS, MAX_MESSAGE, type Geometry } from '../mailbox/index.js';
import { createServer, type FamezServer, type PeerInfo, type ServerOptions } from '../server/index.js';
import type { BuiltInPeer, BuiltInDoorbell } from '../server/index.js';
import * as sys from '../sys/index.js';
import { Courier, type OutboxSlot } from './courier.js';
import { DEFAULT_MAILBOX, planMailboxFile, removeMailboxFile, type MailboxFile } from './mailbox-file.js';
import { faultNotice, type FaultChange } from './faults.js';
import { mailboxInspector, mailboxNodename } from './mailbox-inspector.js';
import { formatPayload, parsePayload } from './payload.js';
import { Router } from './router.js';
import type { Topology } from './topology.js';
import { RateLimitedLog } from './rate-limit.js';
import { DRIVERLESS_CCLASS, Switch, type Action, type Port, type SwitchMode } from './switch.js';

export const DEFAULT_FABRIC_SOCKET = '/tmp/ivshmsg_socket';

/** managing (FAME-Z's default, a fabric manager), unmanaged (--noPFM) or silent (not a peer at all). */
export type FabricMode = SwitchMode | 'silent';

export interface FabricOptions extends Pick<ServerOptions, 'socketMode' | 'socketGroup' | 'admit' | 'maxQueue'> {
  /** Default /tmp/ivshmsg_socket. */
  socketPath?: string;
  /** A name in /dev/shm or a path (default ivshmsg_mailbox). */
  mailbox?: string;
  /** 1..62 (default 14). */
  nClients?: number;
  mode?: FabricMode;
  /** lowest free id (default) or random (FAME-Z's smart-mode habit). */
  ids?: 'lowest' | 'random';
  /** Keep a leaving peer's doorbells for the next peer with its id (default true, as FAME-Z). */
  recycle?: boolean;
  /** How long a receiver may keep the switch's slot (default 1000 ms). */
  replyTimeoutMs?: number;
  /** Every doorbell between peers passes the fabric's router (see Router); the switch's own stay direct. */
  switched?: boolean;
  /** With switched: switches, links and where peers land (default: one switch). */
  topology?: Topology;
  /** With switched: the seed of the drop PRNG. */
  seed?: number;
}

export interface FabricMessage {
  from: number;
  /** The sender's nodename as its slot holds it ('' when it has none). */
  nodename: string;
  /** The whole payload, tracker included. */
  text: string;
  body: string;
  tracker?: number;
}

export interface FabricEvents {
  listening: [];
  'port-joined': [Port, PeerInfo];
  'port-left': [Port, string];
  'peer-refused': [sys.Credentials | undefined, string];
  /** A message to the switch. */
  message: [FabricMessage];
  /** A message the switch sent, once the receiver took it. */
  sent: [{ to: number; text: string }];
  /** A port's link was configured or its peer attributes came in. */
  link: [Port, 'configured' | 'attributes'];
  /** A peer asked the switch to dump (FAME-Z's switch prints its ports). */
  dump: [];
  /** A fault changed (switched), with its log line; every configured peer is told. */
  fault: [FaultChange, string];
  /** Something a peer did wrong, or the fabric could not do (rate-limited per peer and kind). */
  warning: [string];
  /** Details: each message in and out. */
  debug: [string];
  error: [Error];
  close: [];
}

/** A muted port's requests go unanswered: it kept the slot past the timeout. */
const MUTE_MS = { first: 1000, max: 60_000 };

export class Fabric extends EventEmitter<FabricEvents> {
  readonly layout: Geometry;
  readonly mode: FabricMode;
  /** The switch's state (absent when silent). */
  readonly switch?: Switch;
  readonly #options: FabricOptions;
  readonly #warn: RateLimitedLog;
  readonly #muted = new Map<number, { until: number; ms: number }>();
  /** Switched: the forwarding policy, its topology, faults, counters and trace. */
  readonly router?: Router;
  #server?: FamezServer;
  #file?: MailboxFile;
  #buffer?: ArrayBuffer;
  #mailbox?: Mailbox;
  #peer?: BuiltInPeer;
  #courier?: Courier;
  #closing?: Promise<void>;

  constructor(options: FabricOptions = {}) {
    super();
    this.#options = options;
    this.layout = geometry(options.nClients ?? DEFAULT_CLIENTS);
    this.mode = options.mode ?? 'managing';
    if (this.mode !== 'silent') this.switch = new Switch({ serverId: this.layout.serverId, mode: this.mode });
    this.#warn = new RateLimitedLog((text) => this.emit('warning', text));
    if (options.switched) {
      const mailbox = (): Mailbox | undefined => this.#mailbox;
      this.router = new Router({ topology: options.topology, seed: options.seed, nodename: mailboxNodename(mailbox), inspect: mailboxInspector(mailbox), peerRange: [1, this.layout.nClients] });
      this.router.on('fault', (change, text) => this.#faultChanged(change, text));
    }
  }

  /** Changes a fault of the switched fabric (throws FaultError for a link it has not); peers are told. */
  applyFault(change: FaultChange): FaultChange {
    if (!this.router) throw new Error('the fabric is not switched: start it with switched: true (--switched)');
    return this.router.apply(change);
  }

  /** Tells every configured peer of a fault change from the switch (those that cannot take it get a warning). */
  #faultChanged(change: FaultChange, text: string): void {
    this.emit('fault', change, text);
    const notice = faultNotice(change);
    for (const port of this.ports.values()) {
      if (port.linkState !== 'configured' || !port.live) continue;
      this.send(port.id, notice).catch((error: Error) => this.#warn.log(`uep:${port.id}`, `port ${port.id} was not told "${notice}": ${error.message}`));
    }
  }

  /** The ivshmem server underneath (once listening). */
  get server(): FamezServer {
    if (!this.#server) throw new Error('the fabric is not listening');
    return this.#server;
  }

  get socketPath(): string {
    return this.#options.socketPath ?? DEFAULT_FABRIC_SOCKET;
  }

  #createServer(file: MailboxFile): FamezServer {
    const options = this.#options;
    const server = createServer({
      socketPath: this.socketPath,
      memory: file.spec,
      vectors: this.layout.nEvents,
      ids: options.ids ?? 'lowest',
      idRange: { first: 1, last: this.layout.nClients },
      maxPeers: this.layout.nClients,
      recycle: options.recycle ?? true,
      switched: options.switched,
      forwarding: this.router,
      socketMode: options.socketMode,
      socketGroup: options.socketGroup,
      admit: options.admit,
      maxQueue: options.maxQueue,
    });
    server.on('peer-joining', (peer) => this.#joining(peer));
    server.on('peer-joined', (peer) => this.#joined(peer));
    server.on('peer-left', (peer, reason) => this.#left(peer, reason));
    server.on('peer-refused', (who, reason) => this.emit('peer-refused', who, reason));
    server.on('warning', (text) => this.emit('warning', text));
    server.on('error', (error) => this.emit('error', error));
    return server;
  }

  /** The mailbox file's path (known once listening). */
  get mailboxPath(): string | undefined {
    return this.#file?.path;
  }

  get mailbox(): Mailbox {
    if (!this.#mailbox) throw new Error('the fabric is not listening');
    return this.#mailbox;
  }

  /** The switch's messages not yet taken by their receivers, the one out included (0 when silent). */
  get outboxPending(): number {
    return this.#courier?.pending ?? 0;
  }

  /** The ports present now, by id. */
  get ports(): ReadonlyMap<number, Port> {
    return this.switch?.ports ?? new Map();
  }

  /** Opens the mailbox, writes its globals and names, and starts listening. */
  async listen(): Promise<void> {
    if (this.#server) throw new Error('the fabric is already listening (or closed): create a new one');
    const file = planMailboxFile(this.#options.mailbox ?? DEFAULT_MAILBOX, this.layout.size);
    const server = this.#server = this.#createServer(file);
    try {
      await server.listen();
    } catch (error) {
      removeMailboxFile(file);
      throw error;
    }
    this.#file = file;
    try {
      this.#buffer = sys.map(this.server.memory.fd, 0, this.layout.size);
      this.#mailbox = new Mailbox(new Uint8Array(this.#buffer));
      this.#mailbox.format(this.layout.nClients);
      const names = { nodename: this.mode === 'managing' ? 'Z-switch' : 'Z-server', cclass: 'FabricSwitch' };
      this.#mailbox.setNames(this.layout.serverId, names);
      if (this.switch) {
        this.#courier = new Courier(this.#slot(), { timeoutMs: this.#options.replyTimeoutMs, onTimeout: (to) => this.#timedOut(to) });
        this.#peer = this.server.addBuiltInPeer(this.layout.serverId);
        this.#peer.on('doorbell', (doorbell) => this.#doorbell(doorbell));
      }
    } catch (error) {
      await this.close();
      throw error;
    }
    this.emit('listening');
  }

  /**
   * Sends `text` from the switch to port `to`. Resolves once the receiver has
   * taken it; rejects when it cannot go (no such port, no live driver, too
   * long, too many waiting) or the receiver does not take it in time.
   */
  send(to: number, text: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const port = this.switch?.ports.get(to);
      if (!this.switch || !this.#courier) return reject(new Error('a silent fabric sends nothing'));
      if (!port) return reject(new RangeError(`no port ${to}: ports are ${[...this.ports.keys()].join(', ') || 'none'}`));
      if (!port.live) return reject(new Error(`port ${to} has shown no live driver (it has sent nothing the switch could read): not sent`));
      const { body, tracker } = this.switch.message(to, text);
      const payload = formatPayload(body, tracker);
      if (Buffer.byteLength(payload) > MAX_MESSAGE) return reject(new RangeError(`a message has at most ${MAX_MESSAGE} bytes with its tracker, not ${Buffer.byteLength(payload)}`));
      this.#post(to, payload, (error) => (error ? reject(error) : resolve()), () => reject(new Error(`too many messages wait for port ${to}`)));
    });
  }

  /** Closes every peer, removes the mailbox famez created, stops listening. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#courier?.close();
      await this.#server?.close();
      this.switch?.ports.clear();
      if (this.#buffer) sys.unmap(this.#buffer);
      this.#buffer = this.#mailbox = undefined;
      if (this.#file) removeMailboxFile(this.#file);
      this.emit('close');
    })();
    return this.#closing;
  }

  #slot(): OutboxSlot {
    const id = this.layout.serverId;
    return {
      isFree: () => this.#mailbox?.isFree(id) ?? true,
      deliver: (to, text) => {
        this.#mailbox!.put(id, text);
        this.#peer!.ring(to, id);
      },
      takeBack: () => this.#mailbox?.handBack(id),
    };
  }

  #joining(peer: PeerInfo): void {
    this.router?.peerChanged(peer.id);
    // Before the peer hears anything: its slot holds no names of a previous peer.
    this.#mailbox?.setNames(peer.id, { nodename: '', cclass: DRIVERLESS_CCLASS });
    this.#mailbox?.handBack(peer.id);
  }

  #joined(peer: PeerInfo): void {
    const port = this.switch?.join(peer.id);
    this.#muted.delete(peer.id);
    if (port) this.emit('port-joined', port, peer);
  }

  #left(peer: PeerInfo, reason: string): void {
    const port = this.switch?.ports.get(peer.id);
    this.router?.peerChanged(peer.id);
    this.switch?.leave(peer.id);
    this.#courier?.drop(peer.id, `port ${peer.id} left`);
    try {
      this.#mailbox?.setNames(peer.id, { nodename: '', cclass: '' });
      this.#mailbox?.handBack(peer.id);
    } catch {
      // closing: the mailbox is gone
    }
    if (port) this.emit('port-left', port, reason);
  }

  #doorbell({ vector: from, count }: BuiltInDoorbell): void {
    this.#courier!.poke();
    const mailbox = this.#mailbox;
    if (!mailbox) return;
    const port = this.switch!.ports.get(from);
    if (!port) {
      const why = from === 0 ? 'vector 0 (slot 0 holds the globals; no peer has id 0)'
        : from > this.layout.nClients ? `vector ${from}, which no client id can have` : `vector ${from}, but no peer has id ${from}`;
      this.#warn.log(`vector:${from}`, `doorbell on ${why}: ignored (${count} ring${count === 1 ? '' : 's'})`);
      return;
    }
    if (mailbox.isFree(from)) return;   // rung with nothing in the slot (or rung twice for one message)
    let text: string;
    try {
      text = mailbox.take(from);
    } catch (error) {
      if (!(error instanceof MailboxError)) throw error;
      this.#warn.log(`bad:${from}`, `peer ${from}: ${error.message}: ignored`);
      return;
    }
    const mute = this.#muted.get(from);
    if (mute && performance.now() < mute.until) {
      this.#warn.log(`muted:${from}`, `peer ${from} kept the switch's slot past the timeout: its requests go unanswered for ${mute.ms} ms`);
      return;
    }
    const names = this.#names(from);
    // Its driver may have written its nodename by now: where it lands may change.
    if (this.router && names.nodename && this.#options.topology?.peers.some((peer) => peer.nodename === names.nodename) &&
      this.router.attachment(from).nodename !== names.nodename) this.router.peerChanged(from);
    const { body, tracker } = parsePayload(text);
    // -v's line is built only when someone listens: this is the message path.
    if (this.listenerCount('debug') > 0) this.emit('debug', `${(names.nodename || String(from)).padStart(10)} -> "${body}"${tracker === undefined ? '' : ` (${tracker})`}`);
    this.emit('message', { from, nodename: names.nodename ?? '', text, body, tracker });
    for (const action of this.switch!.receive(from, text, names)) this.#act(action);
  }

  /** The names in a peer's slot; a bad one is reported and left out. */
  #names(id: number): { nodename?: string; cclass?: string } {
    const names: { nodename?: string; cclass?: string } = {};
    for (const key of ['nodename', 'cclass'] as const) {
      try {
        names[key] = this.#mailbox![key](id);
      } catch (error) {
        if (!(error instanceof MailboxError)) throw error;
        this.#warn.log(`${key}:${id}`, `peer ${id}: ${error.message}`);
      }
    }
    return names;
  }

  #act(action: Action): void {
    switch (action.type) {
      case 'send':
        this.#post(action.to, formatPayload(action.body, action.tracker), undefined,
          () => this.#warn.log(`full:${action.to}`, `peer ${action.to} does not take the switch's messages fast enough: an answer was dropped`));
        return;
      case 'log':
        if (action.level === 'debug') this.emit('debug', action.text);
        // Each line at -v; as a warning at most once a second per port.
        else if (!this.#warn.log(`switch:${action.port ?? action.text}`, action.text)) this.emit('debug', action.text);
        return;
      case 'port':
        this.emit('link', action.port, action.change);
        return;
      case 'dump':
        this.emit('dump');
    }
  }

  #post(to: number, text: string, done: ((error?: Error) => void) | undefined, full: () => void): void {
    const queued = this.#courier!.send({
      to, text,
      done: (error) => {
        if (!error) {
          const port = this.switch!.ports.get(to);
          if (port) port.sent++;
          if (this.listenerCount('debug') > 0) this.emit('debug', `${'switch'.padStart(10)} <- "${text}" to ${to}`);
          this.emit('sent', { to, text });
        }
        done?.(error);
      },
    });
    if (!queued) full();
  }

  #timedOut(to: number): void {
    const port = this.switch?.ports.get(to);
    if (port) port.live = false;
    const ms = Math.min((this.#muted.get(to)?.ms ?? MUTE_MS.first / 2) * 2, MUTE_MS.max);
    this.#muted.set(to, { until: performance.now() + ms, ms });
    this.#warn.log(`timeout:${to}`, `peer ${to} did not take the switch's message within ${this.#options.replyTimeoutMs ?? 1000} ms: ` +
      `slot taken back, its requests unanswered for ${ms} ms`);
  }
}

export function createFabric(options?: FabricOptions): Fabric {
  return new Fabric(options);
}
