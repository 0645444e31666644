// Reads whole 8-byte messages (each with its fd, if any) from a socket,
// asking for no more than the rest of the current message so that an fd is
// never paired with the wrong message.
import { decode, MESSAGE_SIZE } from '../protocol/message.js';
import { ProtocolError } from '../protocol/client-stream.js';
import * as sys from '../sys/index.js';

export interface Message {
  value: number | bigint;
  fd?: sys.Fd;
}

export class MessageReader {
  readonly #fd: sys.Fd;
  readonly #buffer = new Uint8Array(MESSAGE_SIZE);
  #have = 0;
  #fds: sys.Fd[] = [];

  constructor(fd: sys.Fd) {
    this.#fd = fd;
  }

  /**
   * The next whole message, null if none is complete yet, 'end' at end of
   * stream. Throws ProtocolError on a malformed stream (fds received so far
   * are closed).
   */
  read(): Message | null | 'end' {
    for (;;) {
      const got = sys.receive(this.#fd, MESSAGE_SIZE - this.#have);
      if (got === null) return null;
      this.#fds.push(...got.fds);
      if (got.truncated) this.#fail('the server sent more fds than fit in one message');
      if (got.bytes.length === 0) {
        if (this.#have > 0 || this.#fds.length > 0)
          this.#fail(`the server closed the connection in the middle of a message`);
        return 'end';
      }
      this.#buffer.set(got.bytes, this.#have);
      this.#have += got.bytes.length;
      if (this.#have < MESSAGE_SIZE) continue;
      if (this.#fds.length > 1) this.#fail(`the server sent ${this.#fds.length} fds with one message`);
      const message: Message = { value: decode(this.#buffer) };
      if (this.#fds.length === 1) message.fd = this.#fds[0];
      this.#have = 0;
      this.#fds = [];
      return message;
    }
  }

  /** Closes fds of an incomplete message. */
  discard(): void {
    this.#fds.forEach(sys.close);
    this.#fds = [];
    this.#have = 0;
  }

  #fail(message: string): never {
    this.discard();
    throw new ProtocolError(message);
  }
}
