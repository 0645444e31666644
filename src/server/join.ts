// One join, for a connected peer and a built-in one alike: its doorbells
// (new, or the recycled ones of its id), the switched lines it needs, the
// rings meant for the id's last holder drained, the peer made, the others
// told. A step that fails gives back what the earlier ones took.
import * as sys from '../sys/index.js';
import { isOutOfFds, outOfFds } from './fd-reserve.js';
import type { Peer, PeerRegistry } from './peer-registry.js';
import type { SwitchedMode } from './switched-mode.js';

export interface JoinContext {
  readonly vectors: number;
  readonly registry: PeerRegistry;
  readonly switched?: SwitchedMode;
  memoryFd(): sys.Fd;
}

export interface Joiner {
  /**
   * Switched lines: a connected peer's go both ways; a switched built-in
   * peer's only to it (it rings through the policy); a direct one has none.
   */
  readonly lines: 'both' | 'to' | 'none';
  /** Makes the peer around its doorbells; throwing calls the join off. */
  make(eventfds: sys.Fd[]): Peer;
  /** The peer is made: nobody has heard of it yet. */
  joining?(peer: Peer): void;
}

/** A join called off, with what went wrong in words a refusal can carry; nothing of it is left. */
export class JoinError extends Error {
  override name = 'JoinError';
}

/** Joins peer `id`: the others hear of it, it gets everyone's doorbells. Throws JoinError. */
export function joinPeer(id: number, context: JoinContext, joiner: Joiner): Peer {
  const { registry } = context;
  // First: a server not listening (or closed) has no memory to hand, and nothing is taken yet.
  const memoryFd = context.memoryFd();
  const switched = joiner.lines === 'none' ? undefined : context.switched;
  const recycled = registry.recycled.get(id);
  registry.recycled.delete(id);
  const eventfds = recycled ?? step('cannot create doorbells', () => sys.createEventfds(context.vectors));
  if (!recycled) eventfds.forEach((eventfd) => registry.hand(eventfd));
  const undo = (): void => {
    if (recycled) registry.recycled.set(id, recycled);
    else eventfds.forEach((eventfd) => registry.letGo(eventfd));
  };
  try {
    step('cannot create switched doorbells', () => switched?.connectLines(id, joiner.lines === 'to'));
  } catch (error) {
    undo();
    throw error;
  }
  // Rings meant for the id's last holder (or rung while it was vacant) are not
  // the newcomer's: its doorbells, and switched, the lines to it.
  if (recycled) {
    context.switched?.drainTo(id);
    recycled.forEach((eventfd) => sys.drainEventfd(eventfd));
  }
  let peer: Peer;
  try {
    peer = joiner.make(eventfds);
  } catch (error) {
    switched?.disconnectLines(id);
    undo();
    throw error instanceof JoinError ? error : new JoinError((error as Error).message, { cause: error });
  }
  joiner.joining?.(peer);
  registry.join(peer, memoryFd);
  // Lines kept for a recycled id may have passed rings straight to its eventfds: no more.
  context.switched?.joined(id);
  return peer;
}

/**
 * Runs one step; its failure as a JoinError that says which step (out of fds said as such: a peer too many at the
 * limit).
 */
export function step<T>(what: string, run: () => T): T {
  try {
    return run();
  } catch (error) {
    const message = isOutOfFds(error) ? outOfFds(`${error.code}: ${what}`) : `${what}: ${(error as Error).message}`;
    throw new JoinError(message, { cause: error });
  }
}
