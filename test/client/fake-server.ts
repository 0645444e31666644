// A scripted server for client tests: it accepts one connection and sends
// exactly the bytes and fds it is told to, so a client can be fed any stream.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as sys from '../../src/sys/index.js';

export interface Chunk {
  bytes: Uint8Array;
  fd?: 'eventfd' | 'memfd';
}

export class FakeServer {
  readonly dir = mkdtempSync(join(tmpdir(), 'famez-fake-'));
  readonly path = join(this.dir, 'sock');
  readonly #fd = sys.listen(this.path);

  /** Accepts the next client and sends `chunks`, then closes unless `keepOpen`. */
  async serve(chunks: Chunk[], keepOpen = false): Promise<sys.Fd | undefined> {
    const fd = await this.#accept();
    try {
      for (const chunk of chunks) {
        const extra = chunk.fd === 'eventfd' ? sys.createEventfd() : chunk.fd === 'memfd' ? memfd() : undefined;
        try {
          sys.send(fd, chunk.bytes, extra);
        } catch {
          break; // the client hung up: fine, it may reject a stream early
        } finally {
          if (extra !== undefined) sys.close(extra);
        }
      }
    } finally {
      if (!keepOpen) sys.close(fd);
    }
    return keepOpen ? fd : undefined;
  }

  close(): void {
    sys.close(this.#fd);
    rmSync(this.dir, { recursive: true, force: true });
  }

  #accept(): Promise<sys.Fd> {
    return new Promise((resolve) => {
      const watcher = sys.Watcher.fd(this.#fd, () => {
        const fd = sys.accept(this.#fd);
        if (fd === null) return;
        watcher.close();
        resolve(fd);
      });
      watcher.start(sys.READABLE);
    });
  }
}

function memfd(): sys.Fd {
  const fd = sys.memfdCreate('fake');
  sys.truncate(fd, 4096);
  return fd;
}
