// A host peer on an IVSHMSG fabric: the library behind `famez chat`. It takes
// part as FAME-Z's client does: names itself in its slot, answers ping and
// Link CTL Peer-Attribute, completes the switch's link configuration, and
// sends through its one slot, a message at a time, without blocking.
import { EventEmitter } from 'node:events';
import { connect, describeMemoryChange, type FamezClient } from '../client/index.js';
import { MailboxError, MAX_MESSAGE, type Geometry, type Mailbox } from '../mailbox/index.js';
import { answerKinds, PendingAnswers } from './answers.js';
import { Courier, type OutboxSlot } from './courier.js';
import {
  HAND_BACK_RING,
  linkAck,
  parseRequest,
  PEER_ATTRIBUTE_REQUEST,
  standaloneAck,
  type PeerAttributes,
} from './link.js';
import { formatPayload, parsePayload } from './payload.js';
import { mapMailbox } from './peer-mailbox.js';
import { DEFAULT_FABRIC_SOCKET } from './common.js';
import type { ChatMessage, FabricPeerEvents, FabricPeerOptions, OwnLink, PeerEntry } from './peer-types.js';
export type { ChatMessage, FabricPeerEvents, FabricPeerOptions, OwnLink, PeerEntry } from './peer-types.js';

type RequestOptions = { resetTracker?: boolean; timeoutMs?: number };

export class FabricPeer extends EventEmitter<FabricPeerEvents> {
  readonly client: FamezClient;
  readonly cclass: string;
  readonly link: OwnLink = { state: 'up', cid0: 0, sid0: 0, pfmCid0: 0, pfmSid0: 0 };
  /** The switch's attributes, from its answer to Link CTL Peer-Attribute. */
  switchAttributes: Record<string, string> = {};
  #layout!: Geometry;
  #mailbox!: Mailbox;
  readonly #options: FabricPeerOptions;
  readonly #couriers = new Map<number, Courier>();
  /** The last nodename seen for each peer: a leaving peer's slot may be cleared before we hear it left. */
  readonly #known = new Map<number, string>();
  #tracker = 0;
  readonly #answers = new PendingAnswers();
  /** Settles when the switch has answered our greeting (its attributes are in), or did not in time. */
  greeting: Promise<void> = Promise.resolve();

  private constructor(client: FamezClient, options: FabricPeerOptions) {
    super();
    this.client = client;
    this.#options = options;
    this.#attach();
    this.cclass = options.cclass ?? 'Debugger';
    client.on('doorbell', ({ vector }) => this.#receive(vector));
    client.on('peer', (id) => this.emit('peer', id));
    client.on('memory', (change, size) => this.emit('warning', describeMemoryChange(change, size)));
    client.on('peer-gone', (id) => {
      const entry = this.#entry(id);
      this.emit('peer-gone', { ...entry, nodename: entry.nodename || (this.#known.get(id) ?? '') });
      this.#known.delete(id);
    });
    client.on('disconnect', (error) => {
      this.#closeCouriers(error);
      this.emit('disconnect', error);
    });
    client.on('reconnect', (id) => {
      try {
        this.#attach();
        this.greeting = this.#introduce();
        this.emit('reconnect', id);
      } catch (error) {
        client.close();
        this.emit('warning', (error as Error).message);
      }
    });
    client.on('close', (error) => {
      this.#closeCouriers(error);
      this.emit('close', error);
    });
  }

  /** Connects, checks the memory is a mailbox, writes our names and greets the switch. */
  static async connect(options: FabricPeerOptions = {}): Promise<FabricPeer> {
    const client = await connect({ ...options, path: options.path ?? DEFAULT_FABRIC_SOCKET });
    let peer: FabricPeer;
    try {
      peer = new FabricPeer(client, options);
    } catch (error) {
      client.close();
      throw error;
    }
    peer.greeting = peer.#introduce();
    return peer;
  }

  get id(): number {
    return this.client.id;
  }

  /** Ours, as our slot holds it: z<id> unless given. */
  get nodename(): string {
    return this.#options.nodename ?? `z${String(this.id).padStart(2, '0')}`;
  }

  get layout(): Geometry {
    return this.#layout;
  }

  get serverId(): number {
    return this.#layout.serverId;
  }

  get mailbox(): Mailbox {
    return this.#mailbox;
  }

  /** Every peer present (us and the switch included), by id, with the names their slots hold. */
  peers(): PeerEntry[] {
    return [...this.client.peers.keys()].sort((a, b) => a - b).map((id) => this.#entry(id));
  }

  /** Sends `body` (with the next tracker) to `to`, from our slot or `from`'s (spoof); resolves once taken,
   *  rejects when too long, `to` is no peer, or the receiver does not take it in time. */
  send(to: number, body: string, options: { from?: number; resetTracker?: boolean } = {}): Promise<void> {
    return new Promise((resolve, reject) => {
      const from = options.from ?? this.id;
      if (!this.client.peers.has(to))
        return reject(new RangeError(`no peer ${to}: peers are ${[...this.client.peers.keys()].join(', ')}`));
      if (from < 1 || from > this.#layout.serverId)
        return reject(new RangeError(`no slot ${from}: slots are 1 to ${this.#layout.serverId}`));
      if (options.resetTracker) this.#tracker = 0;
      const text = formatPayload(body, ++this.#tracker);
      const length = Buffer.byteLength(text);
      if (length > MAX_MESSAGE) {
        return reject(
          new RangeError(
            `the message is ${length} bytes with its tracker; a slot holds at most ${MAX_MESSAGE}: shorten it`,
          ),
        );
      }
      const queued = this.#courier(from).send({
        to,
        text,
        done: (error) => {
          if (error) return reject(error);
          this.emit('sent', { from, to, text });
          resolve();
        },
      });
      if (!queued) reject(new Error(`too many messages wait for peer ${to}`));
    });
  }

  /** send(), then for a request (ping, Link CTL Peer-Attribute, Link RFC) its answer, marked `answered`. */
  async request(to: number, body: string, options: RequestOptions = {}): Promise<ChatMessage | undefined> {
    const kinds = answerKinds(body);
    const expected = kinds && this.#answers.expect(to, kinds, options.timeoutMs ?? 10_000, body);
    try {
      await this.send(to, body, options);
    } catch (error) {
      expected?.cancel(error as Error);
      await expected?.answer.catch(() => undefined);
      throw error;
    }
    return expected?.answer;
  }

  /** Leaves the fabric: our names are cleared from our slot. */
  close(): void {
    this.#closeCouriers();
    if (this.client.connected) {
      try {
        this.#mailbox.setNames(this.id, { nodename: '', cclass: '' });
      } catch {
        // the memory is gone already
      }
    }
    this.client.close();
  }

  /** Maps the mailbox of the current connection, checking its globals. */
  #attach(): void {
    ({ mailbox: this.#mailbox, layout: this.#layout } = mapMailbox(this.client));
  }

  async #introduce(): Promise<void> {
    this.#mailbox.setNames(this.id, { nodename: this.nodename, cclass: this.cclass });
    if (!this.client.peers.has(this.serverId)) return;
    // Ours first, unasked (no answer comes): a switch that knows HandBack rings us as it hands our slot back.
    // Sent before anything else, it never holds up a later message in our one slot.
    this.#answer(this.serverId, linkAck(this.attributes));
    const timeoutMs = this.#options.replyTimeoutMs ?? 10_000;
    // The greeting counts its trackers from 1, as FAME-Z's does (the unasked ACK is not counted).
    await this.request(this.serverId, PEER_ATTRIBUTE_REQUEST, { timeoutMs, resetTracker: true }).catch(
      (error: Error) => {
        if (this.client.connected) this.emit('warning', `the switch's attributes: ${error.message}`);
      },
    );
  }

  #entry(id: number): PeerEntry {
    const name = (read: () => string): string => {
      try {
        return read();
      } catch {
        return '?';
      }
    };
    const nodename = name(() => this.#mailbox.nodename(id));
    if (nodename) this.#known.set(id, nodename);
    return { id, nodename, cclass: name(() => this.#mailbox.cclass(id)) };
  }

  #courier(from: number): Courier {
    let courier = this.#couriers.get(from);
    if (!courier) {
      const slot: OutboxSlot = {
        isFree: () => this.#mailbox.isFree(from),
        deliver: (to, text) => {
          this.#mailbox.put(from, text);
          this.client.ring(to, from);
        },
        takeBack: () => this.#mailbox.handBack(from),
      };
      courier = new Courier(slot, { timeoutMs: this.#options.replyTimeoutMs });
      this.#couriers.set(from, courier);
    }
    return courier;
  }

  #closeCouriers(error?: Error): void {
    this.#answers.close(new Error(`no answer: the connection closed${error ? ` (${error.message})` : ''}`));
    for (const courier of this.#couriers.values()) courier.close();
    this.#couriers.clear();
  }

  #receive(from: number): void {
    for (const courier of this.#couriers.values()) courier.poke();
    if (from < 1 || from > this.#layout.serverId) {
      this.emit('warning', `doorbell on vector ${from}, which no sender has: ignored`);
      return;
    }
    // A slot of ours that holds our letter to another is not read: a ring on its vector is the fabric handing it back.
    const outTo = this.#couriers.get(from)?.outTo;
    if (this.#mailbox.isFree(from) || (outTo !== undefined && outTo !== from)) return;
    let text: string;
    try {
      text = this.#mailbox.take(from);
    } catch (error) {
      if (!(error instanceof MailboxError)) throw error;
      this.emit('warning', `${error.message}: ignored`);
      return;
    }
    const { body, tracker } = parsePayload(text);
    if (tracker !== undefined) this.#tracker = tracker;
    const message: ChatMessage = { from, nodename: this.#entry(from).nodename, text, body, tracker };
    if (this.#answers.take(message)) message.answered = true;
    this.emit('message', message);
    this.#respond(from, body);
  }

  /** FAME-Z's client answers: pong, its attributes, and the link configuration. */
  #respond(from: number, body: string): void {
    const request = parseRequest(body);
    switch (request.kind) {
      case 'ping':
        return this.#answer(from, 'pong');
      case 'peer-attribute':
        return this.#answer(from, linkAck(this.attributes));
      case 'ack':
        if (from === this.serverId) this.switchAttributes = request.attributes;
        return;
      case 'ctl-write': {
        const { write } = request;
        if (write.space !== 0) return;
        Object.assign(this.link, {
          state: 'configured',
          cid0: write.cid,
          sid0: write.sid,
          pfmCid0: write.pfmCid,
          pfmSid0: write.pfmSid,
        });
        this.emit('configured', { ...this.link });
        return this.#answer(from, standaloneAck(write.tag));
      }
      default:
    }
  }

  get attributes(): PeerAttributes {
    return { cclass: this.cclass, CID0: this.link.cid0, SID0: this.link.sid0, HandBack: HAND_BACK_RING };
  }

  #answer(to: number, body: string): void {
    this.send(to, body).catch((error: Error) => {
      if (this.client.connected) this.emit('warning', `answer "${body}" to ${to}: ${error.message}`);
    });
  }
}

/** Connects to an IVSHMSG fabric (famez fabric or FAME-Z's server) as a host peer. */
export function connectFabric(options?: FabricPeerOptions): Promise<FabricPeer> {
  return FabricPeer.connect(options);
}
