// A join that finds no spare id here waits for one (ServerOptions.moreIds):
// claimed at once if the range has a free id, else freed by the host that
// says it holds the most spares. So spares never cost a peer its place: a
// join is refused only when peers hold every id.
import type { Clock } from './bus.js';
import type { IdPool } from './id-pool.js';
import type { Membership } from './membership.js';
import type { WireMessage } from './wire.js';

export interface IdSupplier {
  readonly connected: boolean;
  readonly pool: IdPool;
  readonly members: Membership;
  readonly clock: Clock;
  readonly plan: { node: string };
  readonly subjects: { to: (node: string) => string };
  publish(subject: string, message: WireMessage): void;
}

/** Tries for a second at most (ten tries), the event loop free meanwhile. */
const TRIES = 10;
const TRY_MS = 100;

export async function moreIds(node: IdSupplier): Promise<boolean> {
  if (!node.connected) return false;
  for (let tried = 0; tried < TRIES; tried++) {
    if (await node.pool.claimNow().catch(() => false)) return true;
    const { richest } = node.members.spares();
    if (richest === undefined) return false;
    if (tried === 0) node.publish(node.subjects.to(richest), { t: 'give', node: node.plan.node });
    await new Promise<void>((resolve) => node.clock.setTimeout(resolve, TRY_MS));
  }
  return false;
}
