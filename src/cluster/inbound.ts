// Directed traffic from other nodes, in the order each node sent it, handed
// on only once its sender is known: a peer that sends the moment it joins
// reaches a host that may still be checking the peer's claim in the KV, so
// what comes from a node with a check under way waits for it (bounded in
// count and time), and is then delivered or refused with a warning; never
// dropped in silence.
import type { Clock, Timer } from './bus.js';

/** Where a message stands: what it names is known, may become known, or is not the sending node's. */
export type Standing = 'ready' | 'waiting' | 'refused';

/** A message and the node that sent it. */
export interface FromNode {
  node?: string;
}

export interface InboundHooks<T extends FromNode> {
  standing(message: T): Standing;
  deliver(message: T): void;
  refuse(message: T, reason: string): void;
}

interface Waiting<T> {
  items: T[];
  since: number;
  timer?: Timer;
}

export class Inbound<T extends FromNode> {
  readonly #hooks: InboundHooks<T>;
  readonly #clock: Clock;
  readonly #maxWaitMs: number;
  readonly #maxQueued: number;
  readonly #waiting = new Map<string, Waiting<T>>();

  constructor(hooks: InboundHooks<T>, clock: Clock, limits: { maxWaitMs: number; maxQueued: number }) {
    this.#hooks = hooks;
    this.#clock = clock;
    this.#maxWaitMs = limits.maxWaitMs;
    this.#maxQueued = limits.maxQueued;
  }

  /** Messages waiting, from all nodes. */
  get queued(): number {
    let n = 0;
    for (const w of this.#waiting.values()) n += w.items.length;
    return n;
  }

  receive(message: T): void {
    const node = message.node!;
    const waiting = this.#waiting.get(node);
    if (waiting) {
      if (waiting.items.length >= this.#maxQueued)
        return this.#hooks.refuse(
          message,
          `${this.#maxQueued} messages already wait for node ${node}'s peers to be checked`,
        );
      waiting.items.push(message);
      return;
    }
    const standing = this.#hooks.standing(message);
    if (standing === 'ready') return this.#hooks.deliver(message);
    if (standing === 'refused') return this.#hooks.refuse(message, "what it names is not that node's");
    const entry: Waiting<T> = { items: [message], since: this.#clock.now() };
    this.#waiting.set(node, entry);
    this.#arm(node, entry);
  }

  /** A check about `node` ended: what waits for it goes on as far as it can. */
  settle(node: string): void {
    const waiting = this.#waiting.get(node);
    if (!waiting) return;
    const expired = this.#clock.now() - waiting.since >= this.#maxWaitMs;
    while (waiting.items.length > 0) {
      const head = waiting.items[0]!;
      const standing = this.#hooks.standing(head);
      if (standing === 'waiting' && !expired) break;
      waiting.items.shift();
      if (standing === 'ready') this.#hooks.deliver(head);
      else
        this.#hooks.refuse(
          head,
          standing === 'refused'
            ? "what it names is not that node's"
            : `its sender was not confirmed within ${this.#maxWaitMs} ms`,
        );
    }
    this.#clock.clearTimeout(waiting.timer);
    if (waiting.items.length === 0) this.#waiting.delete(node);
    else {
      waiting.since = this.#clock.now();
      this.#arm(node, waiting);
    }
  }

  /** A node left: what it sent and still waits is refused. */
  forget(node: string): void {
    const waiting = this.#waiting.get(node);
    if (!waiting) return;
    this.#clock.clearTimeout(waiting.timer);
    this.#waiting.delete(node);
    for (const item of waiting.items) this.#hooks.refuse(item, `node ${node} left`);
  }

  close(): void {
    for (const waiting of this.#waiting.values()) this.#clock.clearTimeout(waiting.timer);
    this.#waiting.clear();
  }

  #arm(node: string, waiting: Waiting<T>): void {
    waiting.timer = this.#clock.setTimeout(() => this.settle(node), this.#maxWaitMs);
    waiting.timer.unref?.();
  }
}
