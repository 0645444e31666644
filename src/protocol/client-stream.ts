// The client's reading of a server stream, checked as QEMU's client checks
// it. Pure: fed one decoded message at a time, it returns what it means.
import {
  isPeerId,
  LEGACY_REFUSAL,
  MAX_VECTORS,
  MEMORY_MESSAGE,
  PROTOCOL_VERSION,
  REFUSAL_VERSION,
  type Protocol,
} from './message.js';

export type StreamEvent =
  | { type: 'id'; id: number }
  | { type: 'memory'; fd: number }
  | { type: 'vector'; peer: number; vector: number; fd: number }
  | { type: 'gone'; peer: number };

export class ProtocolError extends Error {
  override name = 'ProtocolError';
}

type State = 'version' | 'id' | 'memory' | 'peers';

const REFUSED = 'the server refused this client (it is full or does not admit this user)';

/**
 * Feed it every message in order. It throws ProtocolError on the first
 * message a server may not send; the fd that came with that message is still
 * the caller's to close.
 */
export class ClientStream {
  #state: State;
  #vectors = new Map<number, number>();

  constructor(readonly protocol: Protocol = 'qemu') {
    this.#state = protocol === 'qemu' ? 'version' : 'id';
  }

  /** True once the id and the memory have arrived. */
  get established(): boolean {
    return this.#state === 'peers';
  }

  feed(value: number | bigint, fd?: number): StreamEvent | undefined {
    const hasFd = fd !== undefined;
    switch (this.#state) {
      case 'version':
        if (value === REFUSAL_VERSION && !hasFd) throw new ProtocolError(REFUSED);
        if (value !== PROTOCOL_VERSION || hasFd)
          throw new ProtocolError(
            `server sent version ${value}${hasFd ? ' with an fd' : ''}, expecting ${PROTOCOL_VERSION}: is it an ivshmem server for QEMU >= 2.5? (try --protocol legacy)`,
          );
        this.#state = 'id';
        return undefined;
      case 'id':
        if (this.protocol === 'legacy' && value === LEGACY_REFUSAL && !hasFd) throw new ProtocolError(REFUSED);
        if (!isPeerId(value) || hasFd)
          throw new ProtocolError(`server sent invalid ID message ${value}${hasFd ? ' with an fd' : ''}`);
        this.#state = 'memory';
        return { type: 'id', id: value };
      case 'memory':
        if (value !== MEMORY_MESSAGE || !hasFd)
          throw new ProtocolError(
            `server sent ${value}${hasFd ? ' with an fd' : ' without an fd'} where the shared memory (-1 with an fd) was expected`,
          );
        this.#state = 'peers';
        return { type: 'memory', fd };
      case 'peers': {
        if (!isPeerId(value)) throw new ProtocolError(`server sent invalid peer id ${value}`);
        if (!hasFd) {
          this.#vectors.delete(value);
          return { type: 'gone', peer: value };
        }
        const vector = this.#vectors.get(value) ?? 0;
        if (vector >= MAX_VECTORS)
          throw new ProtocolError(`server sent more than ${MAX_VECTORS} vectors for peer ${value}`);
        this.#vectors.set(value, vector + 1);
        return { type: 'vector', peer: value, vector, fd };
      }
    }
  }
}
