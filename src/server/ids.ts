// Peer id allocation. 'rotate' is QEMU's server: a counter that moves on, so
// a freed id comes back only after wrap-around. 'lowest' reuses the lowest
// free id. 'random' picks any free id (FAME-Z's smart switch does).
import { randomInt } from 'node:crypto';
import { MAX_PEER_ID } from '../protocol/message.js';

export type IdPolicy = 'rotate' | 'lowest' | 'random';
export const ID_POLICIES: readonly IdPolicy[] = ['rotate', 'lowest', 'random'];

/** The ids peers may be given, inclusive (default 0..65535). */
export interface IdRange {
  first: number;
  last: number;
}

export const FULL_ID_RANGE: IdRange = { first: 0, last: MAX_PEER_ID };

export class IdAllocator {
  readonly range: IdRange;
  #next: number;

  constructor(
    readonly policy: IdPolicy = 'rotate',
    range: IdRange = FULL_ID_RANGE,
  ) {
    const { first, last } = range;
    if (!Number.isInteger(first) || !Number.isInteger(last) || first < 0 || last > MAX_PEER_ID || first > last) {
      throw new RangeError(`peer ids must be a range within 0..${MAX_PEER_ID}, not ${first}..${last}`);
    }
    this.range = range;
    this.#next = first;
  }

  /** A free id, or undefined when every id of the range is taken. */
  allocate(taken: (id: number) => boolean): number | undefined {
    const { first, last } = this.range;
    const count = last - first + 1;
    if (this.policy === 'random') {
      const free: number[] = [];
      for (let id = first; id <= last; id++) if (!taken(id)) free.push(id);
      return free.length === 0 ? undefined : free[randomInt(free.length)];
    }
    const start = this.policy === 'rotate' ? this.#next - first : 0;
    for (let i = 0; i < count; i++) {
      const id = first + ((start + i) % count);
      if (!taken(id)) {
        this.#next = first + ((id - first + 1) % count);
        return id;
      }
    }
    return undefined;
  }
}
