// Fabric mode: what a switched doorbell carries. A doorbell from S to R on
// vector S says "slot S holds a message for R": read it as it passes, never
// take it or hand the slot back (the receiver does that).
import { BUF_SIZE, MailboxError, type Mailbox } from '../mailbox/index.js';
import type { MessageInspector } from '../switching/router.js';

export function mailboxInspector(mailbox: () => Mailbox | undefined): MessageInspector {
  return ({ from, vector }) => {
    const box = mailbox();
    if (!box || vector !== from) return undefined;
    try {
      const length = box.buflen(from);
      if (length === 0n || length > BigInt(BUF_SIZE)) return undefined;
      return { text: box.peek(from), bytes: Number(length) };
    } catch (error) {
      if (error instanceof MailboxError || error instanceof RangeError) return undefined;
      throw error;
    }
  };
}

/** A peer's nodename, or undefined when its slot has none (or a bad one). */
export function mailboxNodename(mailbox: () => Mailbox | undefined): (id: number) => string | undefined {
  return (id) => {
    try {
      return mailbox()?.nodename(id) || undefined;
    } catch {
      return undefined;
    }
  };
}
