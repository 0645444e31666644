// The ids this node may give its peers. A joining peer must get an id at once
// (local traffic never waits on NATS), so the node claims a few spare ids
// ahead; the server gives only those (ServerOptions.reserved), and each one
// given is replaced in the background.
import type { Claims } from './claims.js';
import type { ClusterPlan } from './options.js';

/** Why a joining peer finds no id: NATS out of reach, or every id held (by peers, and spares no host could give). */
export function noFreeIdReason(
  plan: Pick<ClusterPlan, 'url' | 'name'>,
  { first, last }: { first: number; last: number },
  connected: boolean,
  held: { peers: number; spares: number },
): string {
  if (!connected)
    return `no cluster id free on this host: ids are claimed ahead from NATS at ${plan.url}, which is out of reach: the peer can join once NATS is back`;
  return (
    `no cluster id free: ids ${first} to ${last} of cluster ${plan.name} are held, ${held.peers} by peers and ` +
    `${held.spares} as spares no host gave up in time: wait for peers to leave, or start with more ids`
  );
}

export interface IdPoolOptions {
  claims: Claims;
  range: { first: number; last: number };
  spare: number;
  random: boolean;
  /** Ids known to be held elsewhere now (remote peers). */
  heldElsewhere: (id: number) => boolean;
  /** Hosts in the cluster, this one included: the free ids are shared among them as spares. */
  hosts: () => number;
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

  /**
   * Claims spare ids until there are enough (one run at a time; NATS errors end the run quietly, the heartbeat
   * retries).
   */
  fill(): Promise<void> {
    this.#filling ??= this.#fill()
      .catch(() => {})
      .finally(() => {
        this.#filling = undefined;
      });
    return this.#filling;
  }

  /**
   * With no spare: claims one now if the range has a free id (a join waits for
   * this). True when there is a spare after it.
   */
  async claimNow(): Promise<boolean> {
    if (this.spare > 0) return true;
    await this.#filling;
    await this.#fill(1);
    return this.spare > 0;
  }

  /** Another host is short: one of our spares is freed for it (true if there was one). */
  giveSpare(): boolean {
    const id = [...this.#owned].find((owned) => !this.#used.has(owned));
    if (id === undefined) return false;
    this.#owned.delete(id);
    void this.#options.claims.releaseId(id).catch(() => {});
    return true;
  }

  async #fill(wanted?: number): Promise<void> {
    const { claims, range, random, heldElsewhere } = this.#options;
    if (this.#closed) return;
    const taken = await claims.takenIds();
    // Spares shrink as the range fills: the free ids are shared among the hosts.
    const free = range.last - range.first + 1 - taken.size + this.spare;
    const spare = wanted ?? Math.min(this.#options.spare, Math.floor(free / this.#options.hosts()));
    if (this.spare >= spare) return;
    const candidates: number[] = [];
    for (let id = range.first; id <= range.last && candidates.length < 4096; id++) {
      if (!taken.has(id) && !this.#owned.has(id) && !heldElsewhere(id)) candidates.push(id);
    }
    if (random) candidates.sort(() => Math.random() - 0.5);
    for (const id of candidates) {
      if (this.#closed || this.spare >= spare) return;
      if (await claims.claimId(id)) this.#owned.add(id);
    }
    this.#short = this.spare < spare && wanted === undefined;
    if (this.#short && !this.#closed)
      this.#options.warn(
        'spare-ids',
        `cluster: only ${this.spare} spare ids could be claimed (ids ${range.first}..${range.last} are nearly all taken): later peers may be refused`,
      );
  }
}
