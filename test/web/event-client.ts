// A test's reader of the event stream over real HTTP: collects the events
// (event name and JSON data) and waits for one that matches.
import { request, type ClientRequest, type IncomingMessage } from 'node:http';
import { waitFor } from '../helpers/fds.js';

export interface StreamEvent {
  id?: string;
  type: string;
  data: Record<string, unknown>;
}

export class EventClient {
  readonly events: StreamEvent[] = [];
  readonly response: IncomingMessage;
  readonly #request: ClientRequest;

  private constructor(req: ClientRequest, res: IncomingMessage) {
    this.#request = req;
    this.response = res;
    let pending = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      pending += chunk;
      let end: number;
      while ((end = pending.indexOf('\n\n')) >= 0) {
        this.#take(pending.slice(0, end));
        pending = pending.slice(end + 2);
      }
    });
  }

  static open(url: string, headers: Record<string, string> = {}): Promise<EventClient> {
    return new Promise((resolve, reject) => {
      const req = request(`${url}/api/v1/events`, { headers }, (res) => resolve(new EventClient(req, res)));
      req.on('error', reject).end();
    });
  }

  #take(block: string): void {
    const fields = new Map<string, string>();
    for (const line of block.split('\n')) {
      const colon = line.indexOf(':');
      if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1).trimStart());
    }
    const type = fields.get('event');
    if (type)
      this.events.push({
        id: fields.get('id'),
        type,
        data: JSON.parse(fields.get('data') ?? '{}') as Record<string, unknown>,
      });
  }

  /** The first event of `type` whose data matches `match`, waiting for it. */
  expect(type: string, match: (data: Record<string, unknown>) => boolean = () => true): Promise<StreamEvent> {
    return waitFor(() => this.events.find((event) => event.type === type && match(event.data)), `a "${type}" event`);
  }

  /** Closes the connection; resolves once its fd is closed. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      const socket = this.#request.socket;
      if (!socket || socket.destroyed) return resolve();
      socket.once('close', () => resolve());
      this.#request.destroy();
    });
  }
}
