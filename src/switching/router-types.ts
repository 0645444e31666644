// What the Router reports and reads: per-link counters, trace entries, and
// the inspector that reads a message doorbell's text (fabric mode). Types
// only, so that the web can take them without the Router.
import type { SwitchedDoorbell } from '../server/forwarding.js';

export interface LinkCounters {
  /** Doorbells (rings) that crossed the link. */
  forwarded: number;
  /** Doorbells lost on it: down, dropped, over its rate. */
  dropped: number;
  /** Doorbells that crossed it and were held back (a path with latency). */
  delayed: number;
  /** Fabric mode: mailbox messages whose doorbell crossed it, and their bytes. */
  messages: number;
  bytes: number;
}

export interface TraceEntry {
  /** Milliseconds since the epoch, with fractions. */
  at: number;
  from: number;
  to: number;
  vector: number;
  count: number;
  /** Rings that passed (the rest were dropped). */
  passed: number;
  outcome: 'forwarded' | 'delayed' | 'dropped';
  delayUs: number;
  /** The links crossed (or up to where it was lost). */
  links: string[];
  /** Why rings were lost. */
  reason?: string;
  /** Fabric mode: the message in the sender's slot. */
  text?: string;
}

/** What a message doorbell carries, read without taking it (fabric mode). */
export type MessageInspector = (doorbell: SwitchedDoorbell) => { text: string; bytes: number } | undefined;
