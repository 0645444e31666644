// The switch as a peer of the fabric: it takes each message a peer leaves in
// its slot for the switch, runs it through the switch's state machine
// (switch.ts, pure) and carries out what comes back, sending answers through
// the courier (one message in the switch's slot at a time). A port that keeps
// the switch's slot past the timeout is muted for a while.
import { MailboxError, MAX_MESSAGE } from '../mailbox/index.js';
import type { BuiltInDoorbell, BuiltInPeer } from '../server/index.js';
import { Courier, type OutboxSlot } from './courier.js';
import type { FabricMessage } from './fabric-events.js';
import type { MailboxHost } from './mailbox-host.js';
import { HAND_BACK_RING } from './link.js';
import { formatPayload, parsePayload } from './payload.js';
import type { RateLimitedLog } from '../switching/rate-limit.js';
import type { Router } from '../switching/router.js';
import type { Switch, Action, Port } from './switch.js';
import type { Topology } from '../switching/topology.js';

/** A muted port's requests go unanswered: it kept the slot past the timeout. */
const MUTE_MS = { first: 1000, max: 60_000 };

/** What the agent tells its fabric, which passes it on as its events. */
export interface SwitchAgentReport {
  message(message: FabricMessage): void;
  sent(sent: { to: number; text: string }): void;
  link(port: Port, change: 'configured' | 'attributes'): void;
  dump(): void;
  debug(text: string): void;
  /** Whether debug lines are read: they are built only then (this is the message path). */
  debugging(): boolean;
}

export interface SwitchAgentOptions {
  switch: Switch;
  host: MailboxHost;
  peer: BuiltInPeer;
  report: SwitchAgentReport;
  warn: RateLimitedLog;
  serverId: number;
  nClients: number;
  replyTimeoutMs?: number;
  /** How long a peer stays muted is measured on this clock (default performance.now). */
  now?: () => number;
  router?: Router;
  topology?: Topology;
}

export class SwitchAgent {
  readonly #options: SwitchAgentOptions;
  readonly #courier: Courier;
  readonly #muted = new Map<number, { until: number; ms: number }>();

  readonly #now: () => number;

  constructor(options: SwitchAgentOptions) {
    this.#options = options;
    this.#now = options.now ?? (() => performance.now());
    this.#courier = new Courier(this.#slot(), {
      timeoutMs: options.replyTimeoutMs,
      onTimeout: (to) => this.#timedOut(to),
    });
    options.peer.on('doorbell', (doorbell) => this.#doorbell(doorbell));
  }

  /** The switch's messages not yet taken by their receivers, the one out included. */
  get pending(): number {
    return this.#courier.pending;
  }

  /** See Fabric.send. */
  send(to: number, text: string): Promise<void> {
    const sw = this.#options.switch;
    return new Promise((resolve, reject) => {
      const port = sw.ports.get(to);
      if (!port) return reject(new RangeError(`no port ${to}: ports are ${[...sw.ports.keys()].join(', ') || 'none'}`));
      if (!port.live)
        return reject(
          new Error(`port ${to} has shown no live driver (it has sent nothing the switch could read): not sent`),
        );
      const { body, tracker } = sw.message(to, text);
      const payload = formatPayload(body, tracker);
      if (Buffer.byteLength(payload) > MAX_MESSAGE)
        return reject(
          new RangeError(
            `a message has at most ${MAX_MESSAGE} bytes with its tracker, not ${Buffer.byteLength(payload)}`,
          ),
        );
      this.#post(
        to,
        payload,
        (error) => (error ? reject(error) : resolve()),
        () => reject(new Error(`too many messages wait for port ${to}`)),
      );
    });
  }

  joined(id: number): void {
    this.#muted.delete(id);
  }

  /**
   * Hands port `id`'s slot back for it (its message was taken elsewhere); a port that asked (HandBack=ring) is rung on
   * its own vector.
   */
  handBack(id: number): void {
    const { host, peer } = this.#options;
    host.mailbox.handBack(id);
    if (this.#options.switch.ports.get(id)?.peerAttributes.HandBack === HAND_BACK_RING) peer.ring(id, id);
  }

  left(id: number): void {
    this.#courier.drop(id, `port ${id} left`);
  }

  close(): void {
    this.#courier.close();
  }

  #slot(): OutboxSlot {
    const { serverId: id, host, peer } = this.#options;
    return {
      isFree: () => host.mailbox.isFree(id),
      deliver: (to, text) => {
        host.mailbox.put(id, text);
        peer.ring(to, id);
      },
      takeBack: () => host.mailbox.handBack(id),
    };
  }

  #doorbell({ vector: from, count }: BuiltInDoorbell): void {
    const { host, warn, nClients } = this.#options;
    host.check();
    this.#courier.poke();
    const sw = this.#options.switch;
    const mailbox = host.mailbox;
    const port = sw.ports.get(from);
    if (!port) {
      const why =
        from === 0
          ? 'vector 0 (slot 0 holds the globals; no peer has id 0)'
          : from > nClients
            ? `vector ${from}, which no client id can have`
            : `vector ${from}, but no peer has id ${from}`;
      warn.log(`vector:${from}`, `doorbell on ${why}: ignored (${count} ring${count === 1 ? '' : 's'})`);
      return;
    }
    // Rung with nothing in the slot (or rung twice for one message), or the mailbox was cut meanwhile.
    if (mailbox.isFree(from) || host.check()) return;
    let text: string;
    try {
      text = mailbox.take(from);
    } catch (error) {
      if (!(error instanceof MailboxError)) throw error;
      if (!host.check()) warn.log(`bad:${from}`, `peer ${from}: ${error.message}: ignored`);
      return;
    }
    const mute = this.#muted.get(from);
    if (mute && this.#now() < mute.until) {
      warn.log(
        `muted:${from}`,
        `peer ${from} kept the switch's slot past the timeout: its requests go unanswered for ${mute.ms} ms`,
      );
      return;
    }
    const names = this.#names(from);
    const { router, topology, report } = this.#options;
    // Its driver may have written its nodename by now: where it lands may change.
    if (
      router &&
      names.nodename &&
      topology?.peers.some((peer) => peer.nodename === names.nodename) &&
      router.attachment(from).nodename !== names.nodename
    )
      router.peerChanged(from);
    const payload = parsePayload(text);
    const { body, tracker } = payload;
    // -v's line is built only when someone listens: this is the message path.
    if (report.debugging())
      report.debug(
        `${(names.nodename || String(from)).padStart(10)} -> "${body}"${tracker === undefined ? '' : ` (${tracker})`}`,
      );
    report.message({ from, nodename: names.nodename ?? '', text, body, tracker });
    for (const action of sw.receive(from, text, names, payload)) this.#act(action);
  }

  /** The names in a peer's slot; a bad one is reported and left out. */
  #names(id: number): { nodename?: string; cclass?: string } {
    return { nodename: this.#name(id, 'nodename'), cclass: this.#name(id, 'cclass') };
  }

  #name(id: number, which: 'nodename' | 'cclass'): string | undefined {
    const mailbox = this.#options.host.mailbox;
    try {
      // Each called by its own name: mailbox[which]() made the call site megamorphic (message path).
      return which === 'nodename' ? mailbox.nodename(id) : mailbox.cclass(id);
    } catch (error) {
      if (!(error instanceof MailboxError)) throw error;
      this.#options.warn.log(`${which}:${id}`, `peer ${id}: ${error.message}`);
      return undefined;
    }
  }

  #act(action: Action): void {
    const { report, warn } = this.#options;
    switch (action.type) {
      case 'send':
        this.#post(action.to, formatPayload(action.body, action.tracker), undefined, () =>
          warn.log(
            `full:${action.to}`,
            `peer ${action.to} does not take the switch's messages fast enough: an answer was dropped`,
          ),
        );
        return;
      case 'log':
        if (action.level === 'debug') report.debug(action.text);
        // Each line at -v; as a warning at most once a second per port.
        else if (!warn.log(`switch:${action.port ?? action.text}`, action.text, action.withoutText))
          report.debug(action.text);
        return;
      case 'port':
        report.link(action.port, action.change);
        return;
      case 'dump':
        report.dump();
    }
  }

  #post(to: number, text: string, done: ((error?: Error) => void) | undefined, full: () => void): void {
    const { report } = this.#options;
    const queued = this.#courier.send({
      to,
      text,
      done: (error) => {
        if (!error) {
          const port = this.#options.switch.ports.get(to);
          if (port) port.sent++;
          if (report.debugging()) report.debug(`${'switch'.padStart(10)} <- "${text}" to ${to}`);
          report.sent({ to, text });
        }
        done?.(error);
      },
    });
    if (!queued) full();
  }

  #timedOut(to: number): void {
    const port = this.#options.switch.ports.get(to);
    if (port) port.live = false;
    const ms = Math.min((this.#muted.get(to)?.ms ?? MUTE_MS.first / 2) * 2, MUTE_MS.max);
    this.#muted.set(to, { until: this.#now() + ms, ms });
    this.#options.warn.log(
      `timeout:${to}`,
      `peer ${to} did not take the switch's message within ${this.#options.replyTimeoutMs ?? 1000} ms: ` +
        `slot taken back, its requests unanswered for ${ms} ms`,
    );
  }
}
