// The mailbox over a byte view of the shared memory. Guests write to it at
// any time: everything read is copied once, then checked, and a bad value is
// a MailboxError naming the slot and what is wrong, never a crash.
import {
  BUF_SIZE,
  GLOBALS,
  geometry,
  MAX_CLIENTS,
  MAX_MESSAGE,
  MAX_NAME,
  NAME_SIZE,
  SLOT,
  SLOT_SIZE,
  BUF_OFFSET,
  type Geometry,
} from './layout.js';

export class MailboxError extends Error {
  override name = 'MailboxError';
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();
/**
 * Where a read is copied before it is checked, and a message encoded before it
 * is written: one buffer reused, so the message path allocates no ArrayBuffer
 * (each one is a malloc, a free and work for the GC: 6-9% of the switch's CPU).
 */
const scratch = new Uint8Array(BUF_SIZE);
/** scratch's first n bytes, made once for each n: a view made per message is an allocation too. */
const scratchViews: Uint8Array[] = [];
const scratchData = new DataView(scratch.buffer);
const scratchOf = (n: number): Uint8Array => (scratchViews[n] ??= scratch.subarray(0, n));
/** Up to this length bytes are copied or zeroed one by one: cheaper than a view to copy from, or fill(), a call
 *  out of JavaScript into V8's C++ (message path). */
const SHORT = 64;

export class Mailbox {
  readonly view: Uint8Array;
  readonly #data: DataView;
  /** The last name read from each slot's nodename and cclass, with its bytes: decoded again only when they change. */
  readonly #names: ({ words: Uint32Array; text: string } | undefined)[] = [];
  /** Where the last message put() wrote in each slot ended: the buffer is zero past it. */
  readonly #ends: number[] = [];

  constructor(view: Uint8Array) {
    this.view = view;
    this.#data = new DataView(view.buffer, view.byteOffset, view.byteLength);
  }

  /** Zeroes the mailbox, writes the globals and every slot's peer_id. */
  format(nClients: number): Geometry {
    this.#fits(nClients);
    this.view.fill(0);
    return this.writeGlobals(nClients);
  }

  /** Writes the globals and every slot's peer_id, leaving the rest as it is (a mailbox cut and restored). */
  writeGlobals(nClients: number): Geometry {
    const layout = this.#fits(nClients);
    this.#data.setBigUint64(GLOBALS.slotsize, BigInt(SLOT_SIZE), true);
    this.#data.setBigUint64(GLOBALS.bufOffset, BigInt(BUF_OFFSET), true);
    this.#data.setBigUint64(GLOBALS.nClients, BigInt(layout.nClients), true);
    this.#data.setBigUint64(GLOBALS.nEvents, BigInt(layout.nEvents), true);
    this.#data.setBigUint64(GLOBALS.serverId, BigInt(layout.serverId), true);
    for (let id = 1; id <= layout.serverId; id++) this.#set(id, SLOT.peerId, id);
    return layout;
  }

  #fits(nClients: number): Geometry {
    const layout = geometry(nClients);
    if (this.view.byteLength < layout.size)
      throw new MailboxError(`the memory has ${this.view.byteLength} bytes: ${nClients} clients need ${layout.size}`);
    return layout;
  }

  /** The globals, checked: a memory without them is no mailbox (the view needs only slot 0). */
  globals(): Geometry {
    const value = (offset: number): bigint => this.#data.getBigUint64(offset, true);
    const slotsize = value(GLOBALS.slotsize);
    const bufOffset = value(GLOBALS.bufOffset);
    const nClients = value(GLOBALS.nClients);
    if (
      slotsize !== BigInt(SLOT_SIZE) ||
      bufOffset !== BigInt(BUF_OFFSET) ||
      nClients < 1n ||
      nClients > BigInt(MAX_CLIENTS)
    ) {
      throw new MailboxError(
        `no mailbox globals (slotsize ${slotsize}, buf_offset ${bufOffset}, nClients ${nClients}): ` +
          'the server is not an IVSHMSG fabric',
      );
    }
    const layout = geometry(Number(nClients));
    if (value(GLOBALS.nEvents) !== BigInt(layout.nEvents) || value(GLOBALS.serverId) !== BigInt(layout.serverId)) {
      throw new MailboxError(
        `mailbox globals disagree: nClients ${nClients} but nEvents ${value(GLOBALS.nEvents)} and server_id ${value(GLOBALS.serverId)}`,
      );
    }
    return layout;
  }

  nodename(id: number): string {
    return this.#name(id, SLOT.nodename, 'nodename');
  }

  cclass(id: number): string {
    return this.#name(id, SLOT.cclass, 'cclass');
  }

  /** Writes the names given (an empty string clears one). */
  setNames(id: number, names: { nodename?: string; cclass?: string }): void {
    if (names.nodename !== undefined) this.#setName(id, SLOT.nodename, 'nodename', names.nodename);
    if (names.cclass !== undefined) this.#setName(id, SLOT.cclass, 'cclass', names.cclass);
  }

  /** The length of the message waiting in slot `id` (0: the slot is free). */
  buflen(id: number): bigint {
    return this.#data.getBigUint64(this.#at(id, SLOT.buflen), true);
  }

  isFree(id: number): boolean {
    return this.#length(id) === 0;
  }

  /** buflen as a number, read as two words: no BigInt made on the message path (one is a heap object). */
  #length(id: number): number {
    const at = this.#at(id, SLOT.buflen);
    return this.#data.getUint32(at, true) + this.#data.getUint32(at + 4, true) * 2 ** 32;
  }

  /** Reads slot `id`'s message and hands the slot back, also when the message is bad. */
  take(id: number): string {
    try {
      return this.peek(id);
    } finally {
      this.handBack(id);
    }
  }

  /** Reads slot `id`'s message and leaves it there (an observer's look, as the switched fabric's counters take). */
  peek(id: number): string {
    const length = this.#length(id);
    if (length > BUF_SIZE)
      throw new MailboxError(`slot ${id}: buflen ${this.buflen(id)} is past the ${BUF_SIZE}-byte buffer`);
    const start = this.#at(id, SLOT.buf);
    const bytes = this.#copied(start, length);
    try {
      return utf8.decode(bytes);
    } catch {
      throw new MailboxError(`slot ${id}: the message is not UTF-8 text`);
    }
  }

  /** Puts a message in slot `id` (the buffer first, then its length; the rest of the buffer zeroed). */
  put(id: number, text: string): void {
    const start = this.#at(id, SLOT.buf);
    const written = this.#ascii(text, start) ?? this.#encoded(text, start);
    // Zeroed up to where the last message put() wrote here ended (the first time, to the end), and the
    // byte after the message always: a reader that stops at a NUL stops there, whatever a peer wrote.
    const end = Math.min(Math.max(this.#ends[id] ?? BUF_SIZE, written + 1), BUF_SIZE);
    const view = this.view;
    if (end - written <= SHORT) for (let i = start + written; i < start + end; i++) view[i] = 0;
    else view.fill(0, start + written, start + end);
    this.#ends[id] = written;
    this.#set(id, SLOT.buflen, written);
  }

  /**
   * Writes an ASCII text of at most MAX_MESSAGE bytes at `start`, byte by byte (no call into the
   * encoder): its length; for any other text, undefined and nothing written.
   */
  #ascii(text: string, start: number): number | undefined {
    const length = text.length;
    if (length > MAX_MESSAGE) return undefined;
    for (let i = 0; i < length; i++) if (text.charCodeAt(i) > 0x7f) return undefined;
    const view = this.view;
    for (let i = 0; i < length; i++) view[start + i] = text.charCodeAt(i);
    return length;
  }

  #encoded(text: string, start: number): number {
    const { read, written } = encoder.encodeInto(text, scratch);
    if (read < text.length || written > MAX_MESSAGE)
      throw new MailboxError(`a message has at most ${MAX_MESSAGE} bytes, not ${encoder.encode(text).length}`);
    this.view.set(scratchOf(written), start);
    return written;
  }

  /** Marks slot `id`'s message as taken. */
  handBack(id: number): void {
    this.#set(id, SLOT.buflen, 0);
  }

  /** A slot's u64 field (peer_id, peer_CID, ...). */
  field(id: number, name: keyof typeof SLOT): bigint {
    return this.#data.getBigUint64(this.#at(id, SLOT[name]), true);
  }

  setField(id: number, name: keyof typeof SLOT, value: number): void {
    this.#set(id, SLOT[name], value);
  }

  #at(id: number, offset: number): number {
    const at = id * SLOT_SIZE + offset;
    if (!Number.isInteger(id) || id < 1 || at + SLOT_SIZE - offset > this.view.byteLength) {
      throw new RangeError(`no slot ${id} in a mailbox of ${this.view.byteLength} bytes`);
    }
    return at;
  }

  /** A u64 field from a number (below 2^53), as two words: no BigInt made. */
  #set(id: number, offset: number, value: number): void {
    const at = this.#at(id, offset);
    this.#data.setUint32(at, value % 2 ** 32, true);
    this.#data.setUint32(at + 4, Math.floor(value / 2 ** 32), true);
  }

  #name(id: number, offset: number, what: string): string {
    const start = this.#at(id, offset);
    // The names are read with every message and seldom change: the same bytes, the same text.
    // Compared where they lie (a peer writing meanwhile is a peer that wrote a moment later).
    const key = 2 * id + (offset === SLOT.nodename ? 0 : 1);
    const last = this.#names[key];
    if (last && this.#holds(start, last.words)) return last.text;
    const bytes = this.#copied(start, NAME_SIZE);
    const end = bytes.indexOf(0);
    if (end < 0) throw new MailboxError(`slot ${id}: the ${what} has no NUL in its ${NAME_SIZE} bytes`);
    let text: string;
    try {
      text = utf8.decode(bytes.subarray(0, end));
    } catch {
      throw new MailboxError(`slot ${id}: the ${what} is not UTF-8 text`);
    }
    // The words of the copy that was decoded, not of the slot now: a peer may have written since.
    const words = new Uint32Array(NAME_SIZE / 4);
    for (let i = 0; i < words.length; i++) words[i] = scratchData.getUint32(4 * i, true);
    this.#names[key] = { words, text };
    return text;
  }

  /**
   * `length` bytes at `start` copied into the scratch buffer (valid until the next copy): what a peer writes meanwhile
   * changes nothing.
   */
  #copied(start: number, length: number): Uint8Array {
    const view = this.view;
    if (length <= SHORT) for (let i = 0; i < length; i++) scratch[i] = view[start + i]!;
    else scratch.set(view.subarray(start, start + length));
    return scratchOf(length);
  }

  /** Whether the view holds `words` (little-endian) at `start`: a name compared a word at a time. */
  #holds(start: number, words: Uint32Array): boolean {
    const data = this.#data;
    for (let i = 0; i < words.length; i++) if (data.getUint32(start + 4 * i, true) !== words[i]) return false;
    return true;
  }

  #setName(id: number, offset: number, what: string, name: string): void {
    const bytes = encoder.encode(name);
    if (bytes.length > MAX_NAME)
      throw new MailboxError(`a ${what} has at most ${MAX_NAME} bytes, not ${bytes.length} ("${name}")`);
    const start = this.#at(id, offset);
    this.view.fill(0, start, start + NAME_SIZE);
    this.view.set(bytes, start);
  }
}
