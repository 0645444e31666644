// Names and ids held in the cluster's KV bucket. A key is claimed with
// create() (compare-and-set: it fails when the key exists) and kept with
// update() at its last revision on every heartbeat; the bucket's TTL drops a
// key nobody refreshed, so a silent node's ids become free after the time-out.
import { ClaimConflict, type ClaimStore } from './bus.js';
import { ClusterError, type ClusterPlan } from './options.js';

const isConflict = (error: unknown): boolean => error instanceof ClaimConflict;

export class Claims {
  readonly #kv: ClaimStore;
  readonly #plan: Pick<ClusterPlan, 'node' | 'name' | 'timeoutMs'>;
  /** Our keys and their last revisions. */
  readonly #owned = new Map<string, number>();
  readonly #value: string;

  constructor(kv: ClaimStore, plan: Pick<ClusterPlan, 'node' | 'name' | 'timeoutMs'>) {
    this.#kv = kv;
    this.#plan = plan;
    this.#value = plan.node;
  }

  /** Claims this node's name: refused when another instance holds it. */
  async claimNode(): Promise<void> {
    if (!(await this.#claim(`node.${this.#plan.node}`))) {
      throw new ClusterError(
        `node "${this.#plan.node}" is already in cluster "${this.#plan.name}": another famez runs with that name ` +
          `(a crashed one's claim expires within ${this.#plan.timeoutMs} ms): give this one another --node`,
      );
    }
  }

  /** True when the id is ours now (false: another node holds it). */
  claimId(id: number): Promise<boolean> {
    return this.#claim(`id.${id}`);
  }

  async #claim(key: string): Promise<boolean> {
    try {
      this.#owned.set(key, await this.#kv.create(key, this.#value));
      return true;
    } catch (error) {
      if (isConflict(error)) return false;
      throw error;
    }
  }

  /** The node that holds `id` in the bucket, if any (a node's word that it holds an id is checked here). */
  holder(id: number): Promise<string | undefined> {
    return this.#kv.get(`id.${id}`);
  }

  /** Whether node `node` holds its name in the bucket (a node's word that it is a member is checked here). */
  async isMember(node: string): Promise<boolean> {
    return (await this.#kv.get(`node.${node}`)) === node;
  }

  /** The ids in the bucket now (ours and the others'). */
  async takenIds(): Promise<Set<number>> {
    const ids = new Set<number>();
    for (const key of await this.#kv.keys('id.')) ids.add(Number(key.slice(3)));
    return ids;
  }

  /** Keeps every key alive; returns the ids another node took meanwhile (after a long NATS outage). */
  async refresh(): Promise<number[]> {
    const lost: number[] = [];
    for (const [key, revision] of this.#owned) {
      try {
        this.#owned.set(key, await this.#kv.update(key, this.#value, revision));
      } catch (error) {
        if (!isConflict(error)) throw error;
        // Expired: take it back if nobody else did.
        if (await this.#claim(key).catch(() => false)) continue;
        this.#owned.delete(key);
        if (key.startsWith('id.')) lost.push(Number(key.slice(3)));
      }
    }
    return lost;
  }

  /** Frees an id (best effort: its TTL frees it anyway). */
  async releaseId(id: number): Promise<void> {
    await this.#release(`id.${id}`);
  }

  async releaseAll(): Promise<void> {
    await Promise.all([...this.#owned.keys()].map((key) => this.#release(key)));
  }

  async #release(key: string): Promise<void> {
    const revision = this.#owned.get(key);
    if (revision === undefined) return;
    this.#owned.delete(key);
    await this.#kv.purge(key, revision).catch(() => {});
  }
}
