// A join that finds no spare id here waits for one (ServerOptions.moreIds):
// claimed at once if the range has a free id, else freed by the host that
// says it holds the most spares. So spares never cost a peer its place: a
// join is refused only when peers hold every id.
import type { Clock } from './bus.js';
import { noFreeIdReason, type IdPool } from './id-pool.js';
import type { Membership } from './membership.js';
import type { ClusterPlan } from './options.js';
import type { RemotePeer, WireMessage } from './wire.js';

export interface IdSupplier {
  readonly connected: boolean;
  readonly pool: IdPool;
  readonly members: Membership;
  readonly clock: Clock;
  readonly plan: Pick<ClusterPlan, 'node' | 'name' | 'url'>;
  localPeers(): RemotePeer[];
  readonly subjects: { to: (node: string) => string };
  publish(subject: string, message: WireMessage): void;
}

/** Tries for two seconds at most, the event loop free meanwhile; asks another host every half second. */
const TRIES = 20;
const TRY_MS = 100;
const ASK_EVERY = 5;

export async function moreIds(node: IdSupplier): Promise<boolean> {
  if (!node.connected) return false;
  const asked = new Set<string>();
  for (let tried = 0; tried < TRIES; tried++) {
    if (await node.pool.claimNow().catch(() => false)) return true;
    if (tried % ASK_EVERY === 0) {
      // The host that says it holds the most spares, not asked yet (its count is as of its last heartbeat).
      // (None known yet, say another host is still being checked: the next tries look again.)
      const { richest } = node.members.spares(asked);
      if (richest !== undefined) {
        asked.add(richest);
        node.publish(node.subjects.to(richest), { t: 'give', node: node.plan.node });
      }
    }
    await new Promise<void>((resolve) => node.clock.setTimeout(resolve, TRY_MS));
  }
  return false;
}

/** Why a joining peer finds no id, with who holds them: peers here and elsewhere, spares. */
export function noFreeIdOf(node: IdSupplier, range: { first: number; last: number }): string {
  const peers = node.localPeers().length + node.members.peers().size;
  const spares = (node.connected ? node.pool.spare : 0) + node.members.spares().total;
  return noFreeIdReason(node.plan, range, node.connected, { peers, spares });
}
