// Directed traffic to each node leaves as one NATS message per turn of the
// event loop: a hand-back and the answer that follows it (a peer answers as
// soon as it takes a message) cross together, once through nats-server. The
// batch leaves once every event of the turn is handled (setImmediate, not a
// microtask, which would follow each doorbell alone): under load the doorbells
// of several senders, and their writes to NATS, become one.
import { MAX_BATCH, type Directed } from './wire.js';

export class Batches {
  readonly #publish: (node: string, items: Directed[]) => void;
  readonly #waiting = new Map<string, Directed[]>();

  constructor(publish: (node: string, items: Directed[]) => void) {
    this.#publish = publish;
  }

  add(node: string, item: Directed): void {
    const items = this.#waiting.get(node);
    if (items) return void items.push(item);
    this.#waiting.set(node, [item]);
    if (this.#waiting.size === 1) setImmediate(() => this.flush());
  }

  /** Publishes what waits now. */
  flush(): void {
    for (const [node, items] of this.#waiting)
      for (let i = 0; i < items.length; i += MAX_BATCH) this.#publish(node, items.slice(i, i + MAX_BATCH));
    this.#waiting.clear();
  }
}
