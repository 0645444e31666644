// Which message answers a request, and the requests still waiting for theirs:
// a script's `ping` is done when the pong comes, and that pong (like the
// answer to what the peer sent on its own) is no longer anyone else's to wait for.
import { parseRequest, type Request } from './link.js';
import type { ChatMessage } from './peer-types.js';

const ANSWERS: Partial<Record<Request['kind'], readonly Request['kind'][]>> = {
  ping: ['pong'],
  'peer-attribute': ['ack', 'nak'],
  rfc: ['ctl-write'],
};

/** The kinds of message that answer `body`, or undefined when nothing answers it. */
export function answerKinds(body: string): readonly Request['kind'][] | undefined {
  return ANSWERS[parseRequest(body).kind];
}

interface Waiting {
  from: number;
  kinds: readonly Request['kind'][];
  settle: (message: ChatMessage | Error) => void;
}

export class PendingAnswers {
  readonly #waiting: Waiting[] = [];

  /** Resolves with the first message from `from` of one of `kinds`; rejects after `timeoutMs` or on cancel. */
  expect(
    from: number,
    kinds: readonly Request['kind'][],
    timeoutMs: number,
    what: string,
  ): { answer: Promise<ChatMessage>; cancel: (error: Error) => void } {
    let cancel: (error: Error) => void = () => {};
    const answer = new Promise<ChatMessage>((resolve, reject) => {
      const entry: Waiting = {
        from,
        kinds,
        settle: (outcome) => {
          clearTimeout(timer);
          this.#waiting.splice(this.#waiting.indexOf(entry), 1);
          if (outcome instanceof Error) reject(outcome);
          else resolve(outcome);
        },
      };
      const timer = setTimeout(
        () => entry.settle(new Error(`timeout: no answer to "${what}" from ${from} within ${timeoutMs / 1000} s`)),
        timeoutMs,
      );
      this.#waiting.push(entry);
      cancel = (error) => {
        if (this.#waiting.includes(entry)) entry.settle(error);
      };
    });
    return { answer, cancel };
  }

  /** Gives `message` to the oldest request it answers: true if one took it. */
  take(message: ChatMessage): boolean {
    const kind = parseRequest(message.body).kind;
    const entry = this.#waiting.find((w) => w.from === message.from && w.kinds.includes(kind));
    entry?.settle(message);
    return entry !== undefined;
  }

  /** Fails every request still waiting (the connection is gone). */
  close(error: Error): void {
    for (const entry of [...this.#waiting]) entry.settle(error);
  }
}
