// famez fabric: an ivshmem server whose memory is FAME-Z's IVSHMSG mailbox
// and in which the server takes part as a Gen-Z switch, through a built-in
// peer. The mailbox host (mailbox-host.ts) keeps the memory; the switch agent
// (switch-agent.ts) answers the peers; this file puts them on the server.
import { EventEmitter } from 'node:events';
import { clientIdRange, geometry, DEFAULT_CLIENTS, type Geometry, type Mailbox } from '../mailbox/index.js';
import { createServer, type FamezServer, type PeerInfo, type ServerOptions } from '../server/index.js';
import type { FabricEvents } from './fabric-events.js';
import {
  assertChecked,
  DEFAULT_MAILBOX,
  planMailboxFile,
  removeMailboxFile,
  type MailboxFile,
} from './mailbox-file.js';
import { MailboxHost } from './mailbox-host.js';
import { faultNotice, type FaultChange } from '../switching/faults.js';
import { mailboxInspector, mailboxNodename } from './mailbox-inspector.js';
import { Router } from '../switching/router.js';
import type { Topology } from '../switching/topology.js';
import { RateLimitedLog } from '../switching/rate-limit.js';
import { DEFAULT_FABRIC_SOCKET } from './common.js';
import { line, quoted } from './message-text.js';
import { SwitchAgent } from './switch-agent.js';
import { DRIVERLESS_CCLASS, Switch, type Port, type SwitchMode } from './switch.js';

export type { FabricEvents, FabricMessage } from './fabric-events.js';

/** managing (FAME-Z's default, a fabric manager), unmanaged (--noPFM) or silent (not a peer at all). */
export type FabricMode = SwitchMode | 'silent';

export interface FabricOptions
  extends Pick<
    ServerOptions,
    'socketMode' | 'socketGroup' | 'admit' | 'maxQueue' | 'reserved' | 'noFreeId' | 'moreIds'
  > {
  /** Default /tmp/ivshmsg_socket. */
  socketPath?: string;
  /** A name in /dev/shm or a path (default ivshmsg_mailbox). */
  mailbox?: string;
  /** Take an existing file at `mailbox` that is not a private mailbox of this geometry (reformatted, made 0600). */
  overwriteMailbox?: boolean;
  /** 1..62 (default 14). */
  nClients?: number;
  mode?: FabricMode;
  /** lowest free id (default) or random (FAME-Z's smart-mode habit). */
  ids?: 'lowest' | 'random';
  /** Keep a leaving peer's doorbells for the next peer with its id (default true, as FAME-Z). */
  recycle?: boolean;
  /** How long a receiver may keep the switch's slot (default 1000 ms). */
  replyTimeoutMs?: number;
  /** The switch's clock for how long a peer stays muted (tests move it by hand; default performance.now). */
  now?: () => number;
  /** Every doorbell between peers passes the fabric's router (see Router); the switch's own stay direct. */
  switched?: boolean;
  /** With switched: switches, links and where peers land (default: one switch). */
  topology?: Topology;
  /** With switched: the seed of the drop PRNG. */
  seed?: number;
}

export class Fabric extends EventEmitter<FabricEvents> {
  readonly layout: Geometry;
  readonly mode: FabricMode;
  /** The switch's state (absent when silent). */
  readonly switch?: Switch;
  readonly #options: FabricOptions;
  readonly #warn: RateLimitedLog;
  /** Switched: the forwarding policy, its topology, faults, counters and trace. */
  readonly router?: Router;
  #server?: FamezServer;
  #file?: MailboxFile;
  #host?: MailboxHost;
  #agent?: SwitchAgent;
  #closing?: Promise<void>;

  constructor(options: FabricOptions = {}) {
    super();
    this.#options = options;
    this.layout = geometry(options.nClients ?? DEFAULT_CLIENTS);
    this.mode = options.mode ?? 'managing';
    if (this.mode !== 'silent') this.switch = new Switch({ serverId: this.layout.serverId, mode: this.mode });
    this.#warn = new RateLimitedLog((text, withoutText) => this.emit('warning', text, withoutText));
    if (options.switched) {
      const mailbox = (): Mailbox | undefined => this.#host?.mailbox;
      this.router = new Router({
        topology: options.topology,
        seed: options.seed,
        nodename: mailboxNodename(mailbox),
        inspect: mailboxInspector(mailbox),
        peerRange: [1, this.layout.nClients],
      });
      this.router.on('fault', (change, text) => this.#faultChanged(change, text));
    }
  }

  /** Changes a fault of the switched fabric (throws FaultError for a link it has not); peers are told. */
  applyFault(change: FaultChange): FaultChange {
    if (!this.router) throw new Error('the fabric is not switched: start it with switched: true (--switched)');
    return this.router.apply(change);
  }

  #faultChanged(change: FaultChange, text: string): void {
    this.emit('fault', change, text);
    this.tellFault(change);
  }

  /** Tells every configured peer of a fault change from the switch (those that cannot take it get a warning). */
  tellFault(change: FaultChange): void {
    const notice = faultNotice(change);
    for (const port of this.ports.values()) {
      if (port.linkState !== 'configured' || !port.live) continue;
      this.send(port.id, notice).catch((error: Error) => {
        const { text, withoutText } = line`port ${port.id} was not told ${quoted(notice)}: ${error.message}`;
        this.#warn.log(`uep:${port.id}`, text, withoutText);
      });
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
      idRange: clientIdRange(this.layout.nClients),
      maxPeers: this.layout.nClients,
      recycle: options.recycle ?? true,
      switched: options.switched,
      forwarding: this.router,
      socketMode: options.socketMode,
      socketGroup: options.socketGroup,
      admit: options.admit,
      maxQueue: options.maxQueue,
      reserved: options.reserved,
      noFreeId: options.noFreeId,
      moreIds: options.moreIds,
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
    if (!this.#host) throw new Error('the fabric is not listening');
    return this.#host.mailbox;
  }

  /** Hands peer `id`'s slot back for it: its message was taken on another host (a peer that asked is rung). */
  handBack(id: number): void {
    if (this.#agent) this.#agent.handBack(id);
    else this.mailbox.handBack(id);
  }

  /** The switch's messages not yet taken by their receivers, the one out included (0 when silent). */
  get outboxPending(): number {
    return this.#agent?.pending ?? 0;
  }

  /** The ports present now, by id. */
  get ports(): ReadonlyMap<number, Port> {
    return this.switch?.ports ?? new Map();
  }

  /** Opens the mailbox, writes its globals and names, and starts listening. */
  async listen(): Promise<void> {
    if (this.#server) throw new Error('the fabric is already listening (or closed): create a new one');
    const options = this.#options;
    const file = planMailboxFile(options.mailbox ?? DEFAULT_MAILBOX, this.layout, options.overwriteMailbox);
    const server = (this.#server = this.#createServer(file));
    // A failed start removes the mailbox only if it made it (the server does).
    await server.listen();
    this.#file = file;
    try {
      assertChecked(file, server.memory.fd);
      const names = { nodename: this.mode === 'managing' ? 'Z-switch' : 'Z-server', cclass: 'FabricSwitch' };
      const host = (this.#host = new MailboxHost({
        file,
        fd: this.server.memory.fd,
        layout: this.layout,
        names,
        onChange: (change, size) => this.emit(change, size),
        onWarning: (line) => this.emit('warning', line),
      }));
      if (this.switch) {
        const peer = this.server.addBuiltInPeer(this.layout.serverId);
        this.#agent = new SwitchAgent({
          switch: this.switch,
          host,
          peer,
          report: {
            message: (message) => this.emit('message', message),
            sent: (sent) => this.emit('sent', sent),
            link: (port, change) => this.emit('link', port, change),
            dump: () => this.emit('dump'),
            debug: (text) => this.emit('debug', text),
            debugging: () => this.listenerCount('debug') > 0,
          },
          warn: this.#warn,
          serverId: this.layout.serverId,
          nClients: this.layout.nClients,
          replyTimeoutMs: this.#options.replyTimeoutMs,
          now: this.#options.now,
          router: this.router,
          topology: this.#options.topology,
        });
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
    if (!this.#agent) return Promise.reject(new Error('a silent fabric sends nothing'));
    return this.#agent.send(to, text);
  }

  /** Closes every peer, removes the mailbox famez created, stops listening. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#agent?.close();
      await this.#server?.close();
      this.switch?.ports.clear();
      this.#host?.close();
      this.#host = undefined;
      if (this.#file) removeMailboxFile(this.#file);
      this.emit('close');
    })();
    return this.#closing;
  }

  #joining(peer: PeerInfo): void {
    this.router?.peerChanged(peer.id);
    // Before the peer hears anything: its slot holds no names of a previous peer.
    this.#host?.mailbox.setNames(peer.id, { nodename: '', cclass: DRIVERLESS_CCLASS });
    this.#host?.mailbox.handBack(peer.id);
  }

  #joined(peer: PeerInfo): void {
    const port = this.switch?.join(peer.id);
    this.#agent?.joined(peer.id);
    if (port) this.emit('port-joined', port, peer);
  }

  #left(peer: PeerInfo, reason: string): void {
    const port = this.switch?.ports.get(peer.id);
    this.router?.peerChanged(peer.id);
    this.switch?.leave(peer.id);
    this.#agent?.left(peer.id);
    try {
      this.#host?.mailbox.setNames(peer.id, { nodename: '', cclass: '' });
      this.#host?.mailbox.handBack(peer.id);
    } catch {
      // closing: the mailbox is gone
    }
    if (port) this.emit('port-left', port, reason);
  }
}

export function createFabric(options?: FabricOptions): Fabric {
  return new Fabric(options);
}
