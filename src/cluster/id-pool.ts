// The ids this node may give its peers. A joining peer must get an id at once
// (local traffic never waits on NATS), so the node claims a few spare ids
// ahead; the server gives only those (ServerOptions.reserved), and each one
// given is replaced in the background.
import type { Claims } from './claims.js';
import type { ClusterPlan } from './options.js';

/** Why a joining peer finds no id: NATS out of reach, the range taken across the cluster, or spares on their way. */
export function noFreeIdReason(
  plan: Pick<ClusterPlan, 'url' | 'name'>,
  { first, last }: { first: number; last: number },
  connected: boolean,
  short: boolean | undefined,
): string {
  if (!connected)
    return `no cluster id free on this host: ids are claimed ahead from NATS at ${plan.url}, which is out of reach: the peer can join once NATS is back`;
  if (short)
    return `no cluster id free: every id from ${first} to ${last} is taken across cluster ${plan.name}: wait for peers to leave, or start with more ids`;
  return `no cluster id free on this host yet: more are being claimed from NATS at ${plan.url}: try again in a moment`;
}

export interface IdPoolOptions {
  claims: Claims;
  range: { first: number; last: number };
  spare: number;
  random: boolean;
  /** Ids known to be held elsewhere now (remote peers). */
  heldElsewhere: (id: number) => boolean;
  warn: (kind: string, line: string) => void;
}

export class IdPool {
  readonly #options: IdPoolOptions;
  /** Ids claimed in the KV: the used ones and the spare ones. */
  readonly #owned = new Set<number>();
  readonly #used = new Set<number>();
  #filling?: Promise<void>;
  #keeping?: Promise<void>;
  /** The last claiming run found too few free ids in the range. */
  #short = false;
  #closed = false;

  constructor(options: IdPoolOptions) {
    this.#options = options;
  }

  /** For ServerOptions.reserved: every id that is not ours. */
  readonly reserved = (id: number): boolean => !this.#owned.has(id);

  owns(id: number): boolean {
    return this.#owned.has(id);
  }

  /** The last claiming run found too few free ids: the range is nearly all taken across the cluster. */
  get short(): boolean {
    return this.#short;
  }

  get spare(): number {
    return this.#owned.size - this.#used.size;
  }

  /** A local peer took `id` (one of ours): claim another spare. */
  use(id: number): void {
    this.#used.add(id);
    void this.fill();
  }

  /** A local peer let `id` go: it is spare again; spares past the target are freed. */
  free(id: number): void {
    if (!this.#used.delete(id)) return;
    if (this.spare > this.#options.spare) {
      this.#owned.delete(id);
      void this.#options.claims.releaseId(id).catch(() => {});
    }
  }

  /** Another node holds `id` now (our claim lapsed during an outage). */
  lost(id: number): void {
    this.#owned.delete(id);
    this.#used.delete(id);
  }

  close(): void {
    this.#closed = true;
  }

  /**
   * Keeps the claims alive and the spares full (one run at a time: while NATS
   * is out of reach each waits for its requests to time out); an id another
   * node took meanwhile is told.
   */
  keep(): Promise<void> {
    this.#keeping ??= this.#options.claims
      .refresh()
      .then((lost) => {
        for (const id of lost) {
          this.lost(id);
          this.#options.warn(
            'id-lost',
            `cluster: id ${id} was claimed by another node while NATS was unreachable: its local peer is no longer reachable from other hosts`,
          );
        }
        return this.fill();
      })
      .catch(() => {})
      .finally(() => {
        this.#keeping = undefined;
      });
    return this.#keeping;
  }

  /** Claims spare ids until there are enough (one run at a time; NATS errors end the run quietly, the heartbeat retries). */
  fill(): Promise<void> {
    this.#filling ??= this.#fill()
      .catch(() => {})
      .finally(() => {
        this.#filling = undefined;
      });
    return this.#filling;
  }

  async #fill(): Promise<void> {
    const { claims, range, spare, random, heldElsewhere } = this.#options;
    if (this.spare >= spare) return;
    const taken = await claims.takenIds();
    const candidates: number[] = [];
    for (let id = range.first; id <= range.last && candidates.length < 4096; id++) {
      if (!taken.has(id) && !this.#owned.has(id) && !heldElsewhere(id)) candidates.push(id);
    }
    if (random) candidates.sort(() => Math.random() - 0.5);
    for (const id of candidates) {
      if (this.#closed || this.spare >= spare) return;
      if (await claims.claimId(id)) this.#owned.add(id);
    }
    this.#short = this.spare < spare;
    if (this.#short && !this.#closed)
      this.#options.warn(
        'spare-ids',
        `cluster: only ${this.spare} spare ids could be claimed (ids ${range.first}..${range.last} are nearly all taken): later peers may be refused`,
      );
  }
}
