// A host peer speaking the mailbox protocol over a real connection: it
// writes its names, sends by filling its own slot and ringing the receiver's
// vector <own id>, and takes each message that arrives on vector <sender>.
import { connect, type FamezClient } from '../../src/client/index.js';
import { Mailbox, geometry, type Geometry } from '../../src/mailbox/index.js';
import { formatPayload, parsePayload } from '../../src/fabric/index.js';
import { waitFor } from '../helpers/fds.js';

export interface Received {
  from: number;
  body: string;
  tracker?: number;
}

export class MailboxPeer {
  readonly client: FamezClient;
  readonly mailbox: Mailbox;
  readonly layout: Geometry;
  readonly received: Received[] = [];
  /** When false, messages are left in their slot (a receiver that never hands back). */
  takes = true;
  #tracker = 0;

  private constructor(client: FamezClient) {
    this.client = client;
    const globals = new Mailbox(client.memory.map(0, 4096)).globals();
    this.layout = geometry(globals.nClients);
    this.mailbox = new Mailbox(client.memory.map(0, this.layout.size));
    client.on('doorbell', ({ vector }) => {
      if (!this.takes || this.mailbox.isFree(vector)) return;
      const { body, tracker } = parsePayload(this.mailbox.take(vector));
      this.received.push({ from: vector, body, tracker });
    });
  }

  static async connect(path: string, names?: { nodename: string; cclass: string }): Promise<MailboxPeer> {
    const peer = new MailboxPeer(await connect({ path, timeoutMs: 5000 }));
    if (names) peer.mailbox.setNames(peer.id, names);
    return peer;
  }

  get id(): number {
    return this.client.id;
  }

  get serverId(): number {
    return this.layout.serverId;
  }

  /** Waits for our slot to be free, then sends (with a tracker unless `raw`). */
  async send(to: number, body: string, raw = false): Promise<void> {
    await waitFor(() => this.mailbox.isFree(this.id), `peer ${this.id}: its slot to be handed back`);
    this.mailbox.put(this.id, raw ? body : formatPayload(body, ++this.#tracker));
    this.client.ring(to, this.id);
  }

  /** The next message from `from` whose body matches, waiting for it. */
  async expect(from: number, body: string | RegExp, what = `a message "${body}" from ${from}`): Promise<Received> {
    return waitFor(() => {
      const at = this.received.findIndex(
        (m) => m.from === from && (typeof body === 'string' ? m.body === body : body.test(m.body)),
      );
      return at < 0 ? undefined : this.received.splice(at, 1)[0];
    }, what);
  }

  close(): void {
    this.client.close();
  }
}
