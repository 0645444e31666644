// Exchanges that may be lost (the mailbox cut under them): retried until they go through.
import { waitFor } from '../server/helpers.js';
import type { MailboxPeer } from './mailbox-peer.js';

/** Runs `attempt` until it succeeds within `ms` (a cut loses what was in flight): how many tries failed. */
export async function retried(
  attempt: (ms: number) => Promise<void>,
  what: string,
  deadlineMs = 20_000,
): Promise<number> {
  const end = Date.now() + deadlineMs;
  for (let failed = 0; ; failed++) {
    try {
      await attempt(1500);
      return failed;
    } catch (error) {
      if (Date.now() > end)
        throw new Error(
          `${what}: no success within ${deadlineMs} ms (${failed + 1} tries): ${(error as Error).message}`,
        );
    }
  }
}

/** One message from `from` to `to` ('ping' to the switch waits for its 'pong'). */
export async function exchange(from: MailboxPeer, to: number, body: string, ms: number): Promise<void> {
  const reply = to === from.serverId ? 'pong' : undefined;
  from.received.length = 0;
  // A message lost in a cut leaves our slot busy: it is ours to take back.
  if (!from.mailbox.isFree(from.id)) from.mailbox.handBack(from.id);
  await from.send(to, body);
  if (reply) {
    await waitFor(() => from.received.some((m) => m.from === to && m.body === reply), `${reply} from ${to}`, ms);
  }
}

/** a → b, received by b. */
export async function hello(a: MailboxPeer, b: MailboxPeer, n: number, ms: number): Promise<void> {
  const body = `hello ${n}`;
  await exchange(a, b.id, body, ms);
  await waitFor(() => b.received.some((m) => m.from === a.id && m.body === body), `"${body}" at peer ${b.id}`, ms);
}
