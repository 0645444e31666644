// Names and ids held in the cluster's KV bucket. A key is claimed with
// create() (compare-and-set: it fails when the key exists) and kept with
// update() at its last revision on every heartbeat; the bucket's TTL drops a
// key nobody refreshed, so a silent node's ids become free after the time-out.
// A node's name holds its instance, so a second famez of that name (one that
// came back after its claim expired and another took the name) is told apart.
import { ClaimConflict, type ClaimStore } from './bus.js';
import { ClusterError, type ClusterPlan } from './options.js';

const isConflict = (error: unknown): boolean => error instanceof ClaimConflict;

export type ClaimsPlan = Pick<ClusterPlan, 'node' | 'name' | 'timeoutMs'> & { instance: string };

export class Claims {
  readonly #kv: ClaimStore;
  readonly #plan: ClaimsPlan;
  readonly #warn: (kind: string, line: string) => void;
  /** Our keys and their last revisions. */
  readonly #owned = new Map<string, number>();
  readonly #nameKey: string;
  #holdsName = true;

  constructor(kv: ClaimStore, plan: ClaimsPlan, warn: (kind: string, line: string) => void = () => {}) {
    this.#kv = kv;
    this.#plan = plan;
    this.#warn = warn;
    this.#nameKey = `node.${plan.node}`;
  }

  /** False while another instance holds this node's name (taken after this one's claim expired in an outage). */
  get holdsName(): boolean {
    return this.#holdsName;
  }

  /** Claims this node's name: refused when another instance holds it. */
  async claimNode(): Promise<void> {
    if (!(await this.#claim(this.#nameKey))) {
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
      this.#owned.set(key, await this.#kv.create(key, this.#valueOf(key)));
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

  /**
   * Whether this instance of `node` holds its name in the bucket (a node's word that it is a member is checked
   * here).
   */
  async isMember(node: string, instance: string): Promise<boolean> {
    return (await this.#kv.get(`node.${node}`)) === instance;
  }

  #valueOf(key: string): string {
    return key === this.#nameKey ? this.#plan.instance : this.#plan.node;
  }

  /** The ids in the bucket now (ours and the others'). */
  async takenIds(): Promise<Set<number>> {
    const ids = new Set<number>();
    for (const key of await this.#kv.keys('id.')) ids.add(Number(key.slice(3)));
    return ids;
  }

  /**
   * Keeps every key alive; returns the ids another node took meanwhile (after a long NATS outage). A name another
   * instance took is asked for again each time, and said to be lost each time.
   */
  async refresh(): Promise<number[]> {
    if (!this.#holdsName) this.#holdsName = await this.#claim(this.#nameKey).catch(() => false);
    const lost: number[] = [];
    for (const [key, revision] of this.#owned) {
      try {
        this.#owned.set(key, await this.#kv.update(key, this.#valueOf(key), revision));
      } catch (error) {
        if (!isConflict(error)) throw error;
        // Expired: take it back if nobody else did.
        if (await this.#claim(key).catch(() => false)) continue;
        this.#owned.delete(key);
        if (key === this.#nameKey) this.#holdsName = false;
        else lost.push(Number(key.slice(3)));
      }
    }
    if (!this.#holdsName) {
      const { node, name } = this.#plan;
      this.#warn(
        'name-lost',
        `cluster: another famez took the name ${node} in cluster ${name} while this one was out of reach of NATS ` +
          '(its claim expired): this one is not in the cluster now: stop it, or restart it with another --node',
      );
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
