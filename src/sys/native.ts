// Loads the native addon through node-gyp-build: build/Release/famez.node if it
// was compiled here, else the prebuilt prebuilds/<platform>-<arch>/famez.*.node.
// The only loader of the addon.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export interface OpenFlags {
  create?: boolean;
  exclusive?: boolean;
  readOnly?: boolean;
}

/** How the addon reads an eventfd without blocking (probed once, when it loads). */
export type EventfdReadMode = 'preadv2' | 'poll';

export interface NativeWatcher {
  start(mask: number): void;
  stop(): void;
  close(): void;
  setRef(ref: boolean): void;
  relay(fd: number): void;
  takeRelayed(): number;
}

export interface NativeAddon {
  listen(path: string, mode: number, group: number, backlog: number): number;
  accept(fd: number): number;
  adoptListener(fd: number): void;
  connect(path: string): number;
  close(fd: number): void;
  peerCredentials(fd: number): { pid: number; uid: number; gid: number };
  send(fd: number, bytes: Uint8Array, passFd: number): number;
  receive(fd: number, length: number): { bytes: Uint8Array; fds: number[]; truncated: boolean } | null;
  eventfd(): number;
  eventfdRingWait(ringFd: number, waitFd: number, timeoutMs: number): number;
  eventfdWrite(fd: number, count: number): boolean;
  eventfdRead(fd: number): number;
  eventfdWait(fd: number, timeoutMs: number): number;
  eventfdSetBlocking(fd: number, blocking: boolean): void;
  eventfdSetCreate(fds: number[]): number;
  eventfdSetWait(set: number, ready: Int32Array, counts: Float64Array, timeoutMs: number): number;
  isEventfd(fd: number): boolean;
  eventfdReadMode(): EventfdReadMode;
  shmOpen(name: string, flags: OpenFlags, mode: number): number;
  shmUnlink(name: string): void;
  openFile(path: string, flags: OpenFlags, mode: number): number;
  openInDirectory(dir: string): number;
  memfdCreate(name: string): number;
  ftruncate(fd: number, size: number): void;
  fallocate(fd: number, offset: number, length: number): void;
  fstat(fd: number): { size: number; allocated: number; type: 'file' | 'socket' | 'other' };
  fsync(fd: number): void;
  map(fd: number, offset: number, length: number, writable: boolean): ArrayBuffer;
  unmap(buffer: ArrayBuffer): void;
  msync(buffer: ArrayBuffer): void;
  mappingBroken(buffer: ArrayBuffer): boolean;
  remap(buffer: ArrayBuffer, fd: number, offset: number): void;
  mappingBreaksWord(): ArrayBuffer;
  redirectStdio(path: string): void;
  /** The callback may return an eventfd, which the addon rings as the callback returns (-1 or undefined: none). */
  Watcher: new (
    fd: number,
    callback: (events: number, count: number) => number | void,
    eventfd: boolean,
  ) => NativeWatcher;
}

const require = createRequire(import.meta.url);
const load = require('node-gyp-build') as (root: string) => unknown;
export const native = load(fileURLToPath(new URL('../../../', import.meta.url))) as NativeAddon;
