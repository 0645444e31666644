// Peer id allocation. 'rotate' is QEMU's server: a 16-bit counter that moves
// on, so a freed id comes back only after wrap-around. 'lowest' reuses the
// lowest free id.
import { MAX_PEER_ID } from '../protocol/message.js';

export type IdPolicy = 'rotate' | 'lowest';
export const ID_POLICIES: readonly IdPolicy[] = ['rotate', 'lowest'];

export class IdAllocator {
  #next = 0;

  constructor(readonly policy: IdPolicy = 'rotate') {}

  /** A free id, or undefined when all 65536 are taken. */
  allocate(taken: (id: number) => boolean): number | undefined {
    const start = this.policy === 'rotate' ? this.#next : 0;
    for (let i = 0; i <= MAX_PEER_ID; i++) {
      const id = (start + i) & MAX_PEER_ID;
      if (!taken(id)) {
        this.#next = (id + 1) & MAX_PEER_ID;
        return id;
      }
    }
    return undefined;
  }
}
