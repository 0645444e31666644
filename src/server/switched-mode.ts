// Switched doorbells hooked into the server: the lines between every pair of
// peers (Switchboard), the policy that decides each ring, the bounded queue
// of delayed ones, and the fd budget a switched join must fit in.
import type * as sys from '../sys/index.js';
import { DelayQueue } from './delay-queue.js';
import { fdShortage, openFdCount, peersThatFit, readFdLimit, switchedJoinCost } from './fd-budget.js';
import type { ForwardingPolicy, SwitchedDoorbell } from './forwarding.js';
import type { PeerLines, PeerRegistry } from './peer-registry.js';
import { Switchboard } from './switchboard.js';

export interface SwitchedOptions {
  vectors: number;
  forwarding: ForwardingPolicy;
  maxDelayed?: number;
  recycle: boolean;
  warn(message: string): void;
}

export class SwitchedMode implements PeerLines {
  readonly #vectors: number;
  readonly #registry: PeerRegistry;
  readonly #board: Switchboard;
  readonly #delayed: DelayQueue;
  readonly #recycle: boolean;
  readonly #warn: (message: string) => void;
  #forwarding: ForwardingPolicy;
  #overflowWarnedAt = -Infinity;

  constructor(registry: PeerRegistry, options: SwitchedOptions) {
    this.#registry = registry;
    this.#vectors = options.vectors;
    this.#forwarding = options.forwarding;
    this.#recycle = options.recycle;
    this.#warn = options.warn;
    this.#delayed = new DelayQueue(undefined, options.maxDelayed);
    this.#board = new Switchboard(this.#vectors, {
      onRing: (from, to, vector, count) => this.#forward(from, to, vector, count),
      // A switched built-in peer hears who rang it: never straight to its eventfds.
      relayTarget: (from, to, vector) =>
        this.#forwarding.bypasses?.(from, to) && !registry.builtIns.get(to)?.switched
          ? registry.realEventfd(to, vector)
          : undefined,
      relayed: (from, to, vector, count) => this.#forwarding.passed?.({ from, to, vector, count }),
      hand: (fd) => registry.hand(fd),
      letGo: (fd) => registry.letGo(fd),
    });
    this.#attach();
  }

  get forwarding(): ForwardingPolicy {
    return this.#forwarding;
  }

  set forwarding(policy: ForwardingPolicy) {
    this.#board.report();
    this.#forwarding = policy;
    this.#attach();
    this.#board.refresh();
  }

  /** Delayed doorbells waiting now, and those dropped because too many waited. */
  get delayedDoorbells(): { waiting: number; dropped: number; limit: number } {
    return { waiting: this.#delayed.size, dropped: this.#delayed.dropped, limit: this.#delayed.limit };
  }

  /** Gives the policy the server's side of the fast path (see ForwardingPolicy.attach). */
  #attach(): void {
    const board = this.#board;
    this.#forwarding.attach?.({ report: () => board.report(), refresh: () => board.refresh() });
  }

  /** A sender rang its line to `to`: the policy decides what `to` gets. */
  #forward(from: number, to: number, vector: number, count: number): void {
    const verdict = this.#forwarding.forward({ from, to, vector, count });
    if (verdict.kind === 'drop') return;
    const passing = verdict.count ?? count;
    if (passing <= 0) return;
    if (verdict.kind === 'deliver') {
      this.#ring(from, to, vector, passing);
      return;
    }
    // Held back for the peer holding `to` now: a later holder of the id does not get it.
    const peers = this.#registry.peers;
    const holder = peers.get(to);
    const held = this.#delayed.add(verdict.us, () => {
      if (peers.get(to) === holder) this.#ring(from, to, vector, passing);
    });
    if (!held) this.#overflow({ from, to, vector, count: passing });
  }

  /** What passed reaches the receiver: its own eventfd, or a switched built-in peer with its sender. */
  #ring(from: number, to: number, vector: number, count: number): void {
    const builtIn = this.#registry.builtIns.get(to);
    if (builtIn?.switched) builtIn.deliver({ vector, count, from });
    else this.#registry.ringReal(to, vector, count);
  }

  /**
   * A switched built-in peer rings `to`: through the policy, as a ring on a line would. False when nobody holds `to`.
   */
  ringFrom(from: number, to: number, vector: number, count: number): boolean {
    if (this.#registry.realEventfd(to, vector) === undefined) return false;
    this.#forward(from, to, vector, count);
    return true;
  }

  /** A delayed doorbell that did not fit: counted by the policy; said at most once a second. */
  #overflow(doorbell: SwitchedDoorbell): void {
    this.#forwarding.overflowed?.(doorbell);
    const now = performance.now();
    if (now - this.#overflowWarnedAt < 1000) return;
    this.#overflowWarnedAt = now;
    this.#warn(
      `switched doorbells: ${this.#delayed.limit} delayed doorbells wait already: dropping more ` +
        `(${this.#delayed.dropped} dropped so far; a link's latency is too high for its traffic)`,
    );
  }

  /** Refuses to start when not even two switched peers fit in RLIMIT_NOFILE; warns when maxPeers do not. */
  checkFits(maxPeers: number): void {
    const vectors = this.#vectors;
    const limit = readFdLimit();
    const open = openFdCount();
    const fit = peersThatFit(limit.soft - open - 64, vectors);
    if (fit < 2) {
      throw new Error(
        `switched doorbells: with ${vectors} vectors two peers need ${switchedJoinCost(1, vectors) + vectors} fds, ` +
          `but ${open} of the limit (RLIMIT_NOFILE) of ${limit.soft} are open: raise the limit (ulimit -n)`,
      );
    }
    if (fit < maxPeers && maxPeers < 65536) {
      this.#warn(
        `switched doorbells: about ${fit} peers fit in the fd limit (RLIMIT_NOFILE) of ${limit.soft} with ${vectors} vectors, ` +
          `fewer than ${maxPeers}: later peers will be refused`,
      );
    }
  }

  /** Fds one more switched join takes: its doorbells and the lines both ways. */
  joinCost(): number {
    const builtIns = [...this.#registry.builtIns.values()].filter((peer) => peer.switched).length;
    return switchedJoinCost(this.#registry.connected + builtIns, this.#vectors);
  }

  /** Why the fds a join of `id` needs are not there (undefined: they are). */
  shortage(id: number): string | undefined {
    const others = this.#registry.connected;
    const cost = this.joinCost() - (this.#registry.recycled.has(id) ? this.#vectors : 0);
    const shortage = fdShortage(cost, openFdCount(), readFdLimit());
    return shortage && `${shortage} (${others} peers connected, ${this.#vectors} vectors)`;
  }

  /**
   * Makes the lines between a newcomer and every connected peer, both ways,
   * and from it to every switched built-in peer, before anyone is told;
   * undone when fds run out. A switched built-in newcomer (`builtIn`) gets
   * only the lines to it: it rings through ringFrom.
   */
  connectLines(id: number, builtIn = false): void {
    const registry = this.#registry;
    try {
      for (const other of registry.peers.values()) {
        if (other.socket) this.#board.line(other.id, id);
        if (!builtIn && (other.socket || registry.builtIns.get(other.id)?.switched)) this.#board.line(id, other.id);
      }
    } catch (error) {
      this.disconnectLines(id);
      throw error;
    }
  }

  /** Undoes connectLines (the lines to a recycled id stay: the others hold them). */
  disconnectLines(id: number): void {
    this.#board.dropFrom(id);
    if (!this.#recycle) this.#board.dropTo(id);
  }

  /** Its doorbells exist now: the lines to it may pass rings straight. */
  joined(id: number): void {
    this.#board.refreshTo(id);
  }

  /** Forgets the rings waiting on the lines to `id` (rung while it was vacant). */
  drainTo(id: number): void {
    this.#board.drainTo(id);
  }

  doorbellsFor(to: number, peer: { id: number; eventfds: readonly sys.Fd[] }): readonly sys.Fd[] {
    return this.#board.line(to, peer.id);
  }

  dropFrom(id: number): void {
    this.#board.dropFrom(id);
  }

  dropTo(id: number): void {
    this.#board.dropTo(id);
  }

  /** Every line and every held-back doorbell goes. */
  close(): void {
    this.#board.close();
    this.#delayed.clear();
  }
}
