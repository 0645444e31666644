// The switch as a pure state machine: ports come and go, messages arrive,
// and it answers with actions (messages to send, log lines, port changes).
// No I/O: the fabric runtime reads the mailbox and carries the actions out.
import { ctlWrite, linkAck, parseRequest, PEER_ATTRIBUTE_REQUEST, type PeerAttributes } from './link.js';
import { parsePayload, type Payload } from './payload.js';
import type { LinkState } from './common.js';
import { asIs, line, quoted, type TextLine } from './message-text.js';

/** managing: a Gen-Z fabric manager (FAME-Z's default "PFM"); unmanaged: FAME-Z's --noPFM. */
export type SwitchMode = 'managing' | 'unmanaged';

/** FAME-Z's smart switch: SID 27, CIDs of id * 100. */
export const DEFAULT_SID = 27;
export const SWITCH_CCLASS = 'FabricSwitch';
export const DRIVERLESS_CCLASS = 'Driverless QEMU';

export interface Port {
  readonly id: number;
  nodename: string;
  cclass: string;
  /** The component and subnet ids the switch assigned (0 until configured). */
  cid: number;
  sid: number;
  linkState: LinkState;
  /** What the peer answered to Link CTL Peer-Attribute. */
  peerAttributes: Record<string, string>;
  /** Messages from this port to the switch, and from the switch to it. */
  received: number;
  sent: number;
  /** It has shown a live driver (sent a message): unsolicited messages may go to it. */
  live: boolean;
  greeted: boolean;
}

export interface SendAction {
  type: 'send';
  to: number;
  body: string;
  tracker: number;
}

export type Action =
  | SendAction
  /** About port `port` (absent: about no port), so that a log can limit lines per port. */
  /** `withoutText`: the line without the message text it quotes, for readers without the token (message-text.ts). */
  | { type: 'log'; level: 'info' | 'warning' | 'debug'; text: string; withoutText?: string; port?: number }
  | { type: 'port'; port: Port; change: 'configured' | 'attributes' }
  | { type: 'dump' };

export interface SwitchConfig {
  serverId: number;
  mode: SwitchMode;
}

interface Tagged {
  port: number;
  cid: number;
  sid: number;
}

export class Switch {
  readonly serverId: number;
  readonly mode: SwitchMode;
  readonly nodename: string;
  readonly cclass = SWITCH_CCLASS;
  readonly cid0: number;
  readonly sid0: number;
  readonly ports = new Map<number, Port>();
  readonly #tags = new Map<string, Tagged>();
  #nextTag = 1;
  #tracker = 0;

  constructor(config: SwitchConfig) {
    this.serverId = config.serverId;
    this.mode = config.mode;
    const managing = config.mode === 'managing';
    this.nodename = managing ? 'Z-switch' : 'Z-server';
    this.cid0 = managing ? config.serverId * 100 : 0;
    this.sid0 = managing ? DEFAULT_SID : 0;
  }

  get attributes(): PeerAttributes {
    return { cclass: this.cclass, CID0: this.cid0, SID0: this.sid0 };
  }

  join(id: number): Port {
    const port: Port = {
      id,
      nodename: '',
      cclass: DRIVERLESS_CCLASS,
      cid: 0,
      sid: 0,
      linkState: 'up',
      peerAttributes: {},
      received: 0,
      sent: 0,
      live: false,
      greeted: this.mode === 'managing',
    };
    this.ports.set(id, port);
    return port;
  }

  leave(id: number): void {
    this.ports.delete(id);
    this.#forgetTags(id);
  }

  #forgetTags(port: number): void {
    for (const [tag, tagged] of this.#tags) if (tagged.port === port) this.#tags.delete(tag);
  }

  /** A message the switch sends on its own, with the next tracker. */
  message(to: number, body: string): SendAction {
    return { type: 'send', to, body, tracker: ++this.#tracker };
  }

  /** Port `from` sent `text`; `names` are what its slot holds now; `payload`, the text parsed (if the caller has). */
  receive(
    from: number,
    text: string,
    names: { nodename?: string; cclass?: string } = {},
    payload: Payload = parsePayload(text),
  ): Action[] {
    const port = this.ports.get(from);
    if (!port) return [{ type: 'log', level: 'warning', text: `message from ${from}, which is no port: ignored` }];
    port.received++;
    port.live = true;
    // Names cleared from the slot are no news: a peer clears them as it leaves, which may be
    // before the switch reads its last message (a Standalone Acknowledgment, logged with them).
    if (names.nodename) port.nodename = names.nodename;
    if (names.cclass) port.cclass = names.cclass;
    const { body, tracker } = payload;
    if (tracker !== undefined) this.#tracker = tracker;
    const actions = this.#answer(port, body);
    if (!port.greeted) {
      // --noPFM greets each peer, once it has shown a driver that will take the message.
      port.greeted = true;
      actions.push(this.message(from, PEER_ATTRIBUTE_REQUEST));
    }
    return actions;
  }

  #answer(port: Port, body: string): Action[] {
    const request = parseRequest(body);
    const ignore = (what: TextLine | string): Action[] => {
      // Built only for a request that is ignored: a ping's answer makes no string of the port (message path).
      const who = `${port.nodename || 'port'} (${port.id})`;
      const { text, withoutText } = typeof what === 'string' ? { text: what } : what;
      return [
        {
          type: 'log',
          level: 'warning',
          text: `${who}: ${text}: no answer`,
          ...(withoutText !== undefined && { withoutText: `${who}: ${withoutText}: no answer` }),
          port: port.id,
        },
      ];
    };
    switch (request.kind) {
      case 'ping':
        return [this.message(port.id, 'pong')];
      case 'pong':
        return [];
      case 'dump':
        return [{ type: 'dump' }];
      case 'peer-attribute':
        return [this.message(port.id, linkAck(this.attributes))];
      case 'ack':
        port.peerAttributes = request.attributes;
        return [{ type: 'port', port, change: 'attributes' }];
      case 'nak':
        return ignore(line`Link CTL NAK ${asIs(request.detail)}`);
      case 'rfc':
        return this.#configure(port, request.ttc, ignore);
      case 'standalone-ack':
        return this.#acknowledged(port, request.tag, request.reason, ignore);
      case 'ctl-write':
        return ignore('a CTL-Write to the switch');
      case 'bad':
        return ignore(request.quote === undefined ? request.why : line`${request.why} ${quoted(request.quote)}`);
      case 'other':
        return ignore(line`unknown request ${quoted(request.words.join(' ').slice(0, 80))}`);
    }
  }

  /** Link RFC: a managing switch writes the port's CID/SID with a tag to match the acknowledgment. */
  #configure(port: Port, ttc: string | undefined, ignore: (what: TextLine | string) => Action[]): Action[] {
    if (this.mode !== 'managing') return ignore('Link RFC, but this switch does not manage the fabric (--noPFM)');
    if (ttc === undefined) return ignore('Link RFC without TTC');
    if (!/^\d+us$/i.test(ttc))
      return ignore(line`Link RFC TTC=${asIs(ttc)}: the time to complete must be in microseconds (such as 27us)`);
    // A new request supersedes the port's earlier one: at most one tag a port.
    this.#forgetTags(port.id);
    const tag = String(this.#nextTag++);
    const assigned = { cid: port.id * 100, sid: this.sid0 };
    this.#tags.set(tag, { port: port.id, ...assigned });
    return [this.message(port.id, ctlWrite({ space: 0, pfmCid: this.cid0, pfmSid: this.sid0, ...assigned, tag }))];
  }

  #acknowledged(
    port: Port,
    tag: string | undefined,
    reason: string | undefined,
    ignore: (what: TextLine | string) => Action[],
  ): Action[] {
    const tagged = tag === undefined ? undefined : this.#tags.get(tag);
    if (!tagged || tagged.port !== port.id)
      return ignore(
        tag === undefined
          ? 'Standalone Acknowledgment of unknown tag (none)'
          : line`Standalone Acknowledgment of unknown tag ${asIs(tag)}`,
      );
    this.#tags.delete(tag!);
    if (reason !== 'OK')
      return ignore(
        line`Standalone Acknowledgment Tag=${asIs(tag!)},Reason=${reason === undefined ? '(none)' : asIs(reason)}`,
      );
    port.cid = tagged.cid;
    port.sid = tagged.sid;
    port.linkState = 'configured';
    return [{ type: 'port', port, change: 'configured' }, this.message(port.id, PEER_ATTRIBUTE_REQUEST)];
  }
}
