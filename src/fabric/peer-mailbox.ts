// A host peer's view of the fabric's mailbox: the shared memory mapped and
// checked to be an IVSHMSG mailbox with a slot for the id the server gave.
import type { FamezClient } from '../client/index.js';
import { geometry, Mailbox, MailboxError, type Geometry } from '../mailbox/index.js';

/** Maps the mailbox of `client`'s current connection, checking its globals and our id. */
export function mapMailbox(client: FamezClient): { mailbox: Mailbox; layout: Geometry } {
  const memory = client.memory;
  if (memory.size < 4096)
    throw new MailboxError(
      `the shared memory has ${memory.size} bytes: no IVSHMSG mailbox: the server is not an IVSHMSG fabric`,
    );
  const globals = new Mailbox(memory.map(0, 4096)).globals();
  if (memory.size < globals.size)
    throw new MailboxError(
      `the shared memory has ${memory.size} bytes, less than its mailbox globals need (${globals.size})`,
    );
  if (client.id < 1 || client.id > globals.nClients)
    throw new MailboxError(
      `the server gave us id ${client.id}, which has no slot (1 to ${globals.nClients}): it is not an IVSHMSG fabric`,
    );
  return { mailbox: new Mailbox(memory.map(0, globals.size)), layout: geometry(globals.nClients) };
}
