// The live event stream (Server-Sent Events) for any number of clients. Each
// event is serialised once, and events are written to the clients together
// every `flushMs` (one write per client per flush, not per event: 100 clients
// cost the fabric a few writes a second, not 100 per message). A client that does not read is never waited for:
// once more than `maxBufferedBytes` wait for it, it is disconnected and may
// reconnect with Last-Event-ID to catch up from the recent events kept here.
// An event is kept in two forms: with message text, for clients that sent the
// token, and without (see redact.ts), for the others.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SourceEvent } from './model.js';
import { carriesText, withoutText, withText } from './redact.js';

/** The stream's response headers (a HEAD request gets these and no stream). */
export const STREAM_HEADERS = {
  'Content-Type': 'text/event-stream; charset=utf-8',
  'Cache-Control': 'no-store',
  'X-Accel-Buffering': 'no',
};

export interface EventStreamLimits {
  /** Bytes that may wait for one client before it is dropped (default 1 MiB). */
  maxBufferedBytes?: number;
  /** Clients at once; more get 503 (default 1000). */
  maxClients?: number;
  /** Events kept for clients that reconnect (default 500). */
  keep?: number;
  /** A comment line this often keeps proxies from closing an idle stream (default 15 s). */
  heartbeatMs?: number;
  /** Events wait this long to go out together (default 50 ms). */
  flushMs?: number;
}

/** An event serialised for each kind of client. */
interface Chunks {
  withText: string;
  withoutText: string;
}

interface Kept extends Chunks {
  id: number;
}

export class EventStream {
  /** Each client, and whether it sees message text. */
  readonly #clients = new Map<ServerResponse, boolean>();
  readonly #recent: Kept[] = [];
  readonly #limits: Required<EventStreamLimits>;
  #nextId = 1;
  /** Chunks published since the last flush, and the last id flushed. */
  #pending: Chunks[] = [];
  #flushedId = 0;
  #flush?: NodeJS.Timeout;
  #heartbeat?: NodeJS.Timeout;
  /** Clients disconnected because they did not read. */
  dropped = 0;
  published = 0;

  constructor(limits: EventStreamLimits = {}) {
    this.#limits = {
      maxBufferedBytes: 1 << 20,
      maxClients: 1000,
      keep: 500,
      heartbeatMs: 15_000,
      flushMs: 50,
      ...limits,
    };
  }

  get clients(): number {
    return this.#clients.size;
  }

  /** Bytes waiting for all clients together. */
  get buffered(): number {
    let bytes = 0;
    for (const res of this.#clients.keys()) bytes += res.writableLength;
    return bytes;
  }

  get full(): boolean {
    return this.#clients.size >= this.#limits.maxClients;
  }

  publish(event: SourceEvent): void {
    const id = this.#nextId++;
    const at = new Date().toISOString();
    const serialise = ({ type, ...data }: SourceEvent): string =>
      `id: ${id}\nevent: ${type}\ndata: ${JSON.stringify({ ...data, at })}\n\n`;
    const full = serialise(withText(event));
    const chunk = { withText: full, withoutText: carriesText(event) ? serialise(withoutText(event)) : full };
    this.#recent.push({ id, ...chunk });
    if (this.#recent.length > this.#limits.keep) this.#recent.shift();
    this.published++;
    if (this.#clients.size === 0) {
      this.#flushedId = id;
      return;
    }
    this.#pending.push(chunk);
    this.#flush ??= setTimeout(() => this.#flushNow(), this.#limits.flushMs);
  }

  #flushNow(): void {
    this.#flush = undefined;
    const withText = this.#pending.map((chunk) => chunk.withText).join('');
    const plain = this.#pending.map((chunk) => chunk.withoutText).join('');
    this.#pending = [];
    this.#flushedId = this.#nextId - 1;
    for (const [res, text] of this.#clients) this.#write(res, text ? withText : plain);
  }

  /**
   * Starts streaming to `res` (with message text if `withText`), first the kept events after the client's
   * Last-Event-ID.
   */
  attach(req: IncomingMessage, res: ServerResponse, withText: boolean): void {
    res.writeHead(200, STREAM_HEADERS);
    res.write('retry: 1000\n\n');
    const last = Number(req.headers['last-event-id']);
    // Those not flushed yet come with the next flush.
    if (Number.isInteger(last))
      for (const kept of this.#recent)
        if (kept.id > last && kept.id <= this.#flushedId) res.write(withText ? kept.withText : kept.withoutText);
    this.#clients.set(res, withText);
    res.on('close', () => this.#detach(res));
    this.#heartbeat ??= setInterval(
      () => this.#clients.forEach((_, client) => this.#write(client, ':\n\n')),
      this.#limits.heartbeatMs,
    ).unref();
  }

  close(): void {
    clearTimeout(this.#flush);
    this.#flush = undefined;
    for (const res of this.#clients.keys()) res.end();
    this.#clients.clear();
    this.#stopHeartbeat();
  }

  #write(res: ServerResponse, chunk: string): void {
    if (res.writableLength > this.#limits.maxBufferedBytes) {
      this.dropped++;
      this.#detach(res);
      res.destroy();
      return;
    }
    res.write(chunk);
  }

  #detach(res: ServerResponse): void {
    this.#clients.delete(res);
    if (this.#clients.size === 0) this.#stopHeartbeat();
  }

  #stopHeartbeat(): void {
    clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
  }
}
