// The event stream read with fetch, not EventSource: EventSource cannot send
// the Authorization header, and message text comes only with the token.
// Reconnects after a second, with Last-Event-ID, as EventSource would.

export interface StreamHandlers {
  open(): void;
  /** The stream broke (it is retried), or was refused (`status`). */
  error(status?: number): void;
  event(type: string, data: unknown): void;
}

export interface EventReader {
  /** Reconnects now (the headers may have changed). */
  restart(): void;
}

export function readEvents(url: string, headers: () => Record<string, string>, handlers: StreamHandlers): EventReader {
  let lastId: string | undefined;
  let current: AbortController | undefined;

  const take = (block: string): void => {
    let type = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      const [field, value] = [line.slice(0, colon), line.slice(colon + 1).replace(/^ /, '')];
      if (field === 'id') lastId = value;
      else if (field === 'event') type = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length > 0) handlers.event(type, JSON.parse(data.join('\n')) as unknown);
  };

  /** Reads the stream until it ends; the status of a refusal, if refused. */
  const connect = async (abort: AbortController): Promise<number | undefined> => {
    const res = await fetch(url, {
      headers: { Accept: 'text/event-stream', ...headers(), ...(lastId ? { 'Last-Event-ID': lastId } : {}) },
      signal: abort.signal,
      cache: 'no-store',
    });
    if (!res.ok || !res.body) return res.status;
    handlers.open();
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let pending = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      pending += value;
      let end: number;
      while ((end = pending.indexOf('\n\n')) >= 0) {
        take(pending.slice(0, end));
        pending = pending.slice(end + 2);
      }
    }
    return undefined;
  };

  const run = (): void => {
    const abort = new AbortController();
    current = abort;
    void connect(abort)
      .catch(() => undefined)
      .then((status) => {
        if (abort.signal.aborted || current !== abort) return;
        handlers.error(status);
        setTimeout(() => {
          if (current === abort) run();
        }, 1000);
      });
  };

  run();
  return {
    restart() {
      current?.abort();
      run();
    },
  };
}
