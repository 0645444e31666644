// Faults a switched fabric can be given while it runs, as plain data: what
// a change is, how a console line says it, how the log and the peers hear
// of it, and the state they add up to. Pure.
import { peerLinkName } from './topology.js';

export interface RateLimit {
  /** Doorbells per second a link passes on average. */
  perSecond: number;
  /** How many may pass at once after a quiet spell. */
  burst: number;
}

/** What one link has been given (absent fields: none). */
export interface LinkFaults {
  down?: boolean;
  /** Microseconds added to every doorbell crossing it. */
  addedUs?: number;
  /** Each doorbell crossing it is lost with this probability. */
  dropProbability?: number;
  rate?: RateLimit;
}

export type FaultChange =
  | { kind: 'link'; link: string; up: boolean }
  | { kind: 'latency'; link: string; us: number }
  | { kind: 'drop'; link: string; probability: number }
  | { kind: 'rate'; link: string; rate?: RateLimit }
  | { kind: 'clear'; link?: string };

/** Isolating a peer takes its own link down. */
export function isolate(peer: number, isolated = true): FaultChange {
  return { kind: 'link', link: peerLinkName(peer), up: !isolated };
}

export class FaultError extends Error {
  override name = 'FaultError';
  /** The number at fault, when a change's check failed on one. */
  readonly field?: 'us' | 'probability' | 'perSecond' | 'burst';

  constructor(message: string, field?: FaultError['field']) {
    super(message);
    this.field = field;
  }
}

/** Checks a change's numbers (links are checked against the topology by the router). */
export function checkChange(change: FaultChange): FaultChange {
  const fail = (what: string, field: FaultError['field']): never => {
    throw new FaultError(what, field);
  };
  switch (change.kind) {
    case 'latency':
      if (!Number.isFinite(change.us) || change.us < 0 || change.us > 10_000_000)
        fail(`added latency is 0 to 10000000 us, not ${change.us}`, 'us');
      break;
    case 'drop':
      if (!(change.probability >= 0 && change.probability <= 1))
        fail(`a drop probability is from 0 to 1, not ${change.probability}`, 'probability');
      break;
    case 'rate':
      if (change.rate && !(change.rate.perSecond > 0 && Number.isFinite(change.rate.perSecond)))
        fail(`a rate is a positive number of doorbells per second, not ${change.rate.perSecond}`, 'perSecond');
      if (change.rate && !(Number.isInteger(change.rate.burst) && change.rate.burst >= 1))
        fail(`a burst is a whole number of doorbells, at least 1, not ${change.rate.burst}`, 'burst');
      break;
  }
  return change;
}

/** A link's faults after a change (clear is handled by the state). */
export function applyChange(faults: LinkFaults, change: Exclude<FaultChange, { kind: 'clear' }>): LinkFaults {
  const next = { ...faults };
  switch (change.kind) {
    case 'link':
      if (change.up) delete next.down;
      else next.down = true;
      break;
    case 'latency':
      if (change.us === 0) delete next.addedUs;
      else next.addedUs = change.us;
      break;
    case 'drop':
      if (change.probability === 0) delete next.dropProbability;
      else next.dropProbability = change.probability;
      break;
    case 'rate':
      if (change.rate) next.rate = change.rate;
      else delete next.rate;
      break;
  }
  return next;
}

/** The state every change adds up to: faults by link name. */
export class FaultState {
  readonly #links = new Map<string, LinkFaults>();

  get(link: string): LinkFaults | undefined {
    return this.#links.get(link);
  }

  isUp(link: string): boolean {
    return !this.#links.get(link)?.down;
  }

  apply(change: FaultChange): void {
    if (change.kind === 'clear') {
      if (change.link === undefined) this.#links.clear();
      else this.#links.delete(change.link);
      return;
    }
    const next = applyChange(this.#links.get(change.link) ?? {}, change);
    if (Object.keys(next).length === 0) this.#links.delete(change.link);
    else this.#links.set(change.link, next);
  }

  /** Every link with a fault, by name. */
  entries(): [string, LinkFaults][] {
    return [...this.#links].sort(([a], [b]) => a.localeCompare(b));
  }
}

/** One line for the log and the console. */
export function describeChange(change: FaultChange): string {
  switch (change.kind) {
    case 'link':
      return `link ${change.link} ${change.up ? 'up' : 'down'}`;
    case 'latency':
      return `link ${change.link}: ${change.us} us added`;
    case 'drop':
      return `link ${change.link}: drop probability ${change.probability}`;
    case 'rate':
      return `link ${change.link}: ${change.rate ? `rate ${change.rate.perSecond}/s, burst ${change.rate.burst}` : 'no rate limit'}`;
    case 'clear':
      return change.link === undefined ? 'every fault cleared' : `link ${change.link}: faults cleared`;
  }
}

/** Describes a link's faults ("down, +500 us, drop 0.1, rate 1000/s burst 10"). */
export function describeFaults(faults: LinkFaults): string {
  return [
    faults.down ? 'down' : undefined,
    faults.addedUs ? `+${faults.addedUs} us` : undefined,
    faults.dropProbability ? `drop ${faults.dropProbability}` : undefined,
    faults.rate ? `rate ${faults.rate.perSecond}/s burst ${faults.rate.burst}` : undefined,
  ]
    .filter(Boolean)
    .join(', ');
}

/**
 * What every configured peer is told, from the switch, in its mailbox: an
 * unsolicited event in the spirit of Gen-Z's, in the Link message syntax:
 *   UEP Link-Down Link=trunk          UEP Link-Up Link=peer:3
 *   UEP Link-Latency Link=trunk,AddedUs=500
 *   UEP Link-Drop Link=trunk,Probability=0.1
 *   UEP Link-Rate Link=trunk,PerSecond=1000,Burst=10   (PerSecond=0: no limit)
 *   UEP Faults-Cleared Link=trunk     UEP Faults-Cleared
 */
export function faultNotice(change: FaultChange): string {
  switch (change.kind) {
    case 'link':
      return `UEP Link-${change.up ? 'Up' : 'Down'} Link=${change.link}`;
    case 'latency':
      return `UEP Link-Latency Link=${change.link},AddedUs=${change.us}`;
    case 'drop':
      return `UEP Link-Drop Link=${change.link},Probability=${change.probability}`;
    case 'rate':
      return `UEP Link-Rate Link=${change.link},PerSecond=${change.rate?.perSecond ?? 0},Burst=${change.rate?.burst ?? 0}`;
    case 'clear':
      return change.link === undefined ? 'UEP Faults-Cleared' : `UEP Faults-Cleared Link=${change.link}`;
  }
}

export const FAULT_HELP = [
  "link down|up LINK        take a link down or bring it up (LINK: a switch link's name, or peer:ID)",
  "isolate ID / rejoin ID   take peer ID's own link down / up",
  'latency LINK US          add US microseconds to every doorbell crossing LINK (0: none)',
  'drop LINK P              lose each doorbell crossing LINK with probability P (0..1)',
  'rate LINK N [BURST]      at most N doorbells/s across LINK (BURST at once, default N/10); rate LINK off',
  'clear [LINK]             remove every fault (of LINK)',
  'faults                   the faults now;  counters  per-link counters;  routes A B  paths between switches',
];

/** A console line as a change; undefined when the line is no fault command. Throws FaultError on bad arguments. */
export function parseFaultCommand(line: string): FaultChange | undefined {
  const [command, ...args] = line.trim().split(/\s+/);
  const number = (text: string | undefined, what: string): number => {
    const value = Number(text);
    if (text === undefined || text === '' || !Number.isFinite(value))
      throw new FaultError(`${command}: ${what} must be a number, not ${text ?? 'nothing'}`);
    return value;
  };
  const need = (count: number, usage: string): void => {
    if (args.length !== count && !(usage.includes('[') && args.length === count + 1))
      throw new FaultError(`usage: ${usage}`);
  };
  const peer = (text: string | undefined): number => {
    const id = number(text, 'a peer id');
    if (!Number.isInteger(id) || id < 0 || id > 65535)
      throw new FaultError(`${command}: a peer id is 0 to 65535, not ${text}`);
    return id;
  };
  switch (command) {
    case 'link':
      need(2, 'link down|up LINK');
      if (args[0] !== 'down' && args[0] !== 'up') throw new FaultError('usage: link down|up LINK');
      return checkChange({ kind: 'link', link: args[1]!, up: args[0] === 'up' });
    case 'isolate':
    case 'rejoin':
      need(1, `${command} ID`);
      return isolate(peer(args[0]), command === 'isolate');
    case 'latency':
      need(2, 'latency LINK US');
      return checkChange({ kind: 'latency', link: args[0]!, us: number(args[1], 'the latency') });
    case 'drop':
      need(2, 'drop LINK P');
      return checkChange({ kind: 'drop', link: args[0]!, probability: number(args[1], 'the probability') });
    case 'rate': {
      need(2, 'rate LINK N [BURST]');
      if (args[1] === 'off') return { kind: 'rate', link: args[0]! };
      const perSecond = number(args[1], 'the rate');
      const burst = args[2] === undefined ? Math.max(1, Math.round(perSecond / 10)) : number(args[2], 'the burst');
      return checkChange({ kind: 'rate', link: args[0]!, rate: { perSecond, burst } });
    }
    case 'clear':
      if (args.length > 1) throw new FaultError('usage: clear [LINK]');
      return { kind: 'clear', link: args[0] };
    default:
      return undefined;
  }
}
