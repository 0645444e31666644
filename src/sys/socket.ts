// UNIX stream sockets owned natively, with fd passing (SCM_RIGHTS).
import { native } from './native.js';
import { releaseHeldRing } from './ring-soon.js';

export type Fd = number;

export interface Credentials {
  pid: number;
  uid: number;
  gid: number;
}

export interface Received {
  /** At most the requested length; empty at end of stream. */
  bytes: Uint8Array;
  /** Fds that came with the bytes; the receiver owns and must close them. */
  fds: Fd[];
  /** The kernel dropped control data (fds) that did not fit. */
  truncated: boolean;
}

/**
 * Creates a listening socket at `path` whose file has exactly `mode` and, when
 * `group` is given, that group, before anyone can connect. Never replaces an
 * existing path.
 */
export function listen(path: string, mode = 0o600, group = -1, backlog = 4096): Fd {
  return native.listen(path, mode, group, backlog);
}

/**
 * Takes over an inherited listening socket (systemd socket activation): throws
 * ENOTSOCK unless it is a listening UNIX stream socket; makes it non-blocking.
 */
export function adoptListener(fd: Fd): void {
  native.adoptListener(fd);
}

/** A new connection, or null when none is waiting. */
export function accept(fd: Fd): Fd | null {
  const client = native.accept(fd);
  return client < 0 ? null : client;
}

/** Connects to the socket at `path` (non-blocking fd). */
export function connect(path: string): Fd {
  return native.connect(path);
}

export function close(fd: Fd): void {
  releaseHeldRing(); // it could be this fd's: rung before its number can be reused
  native.close(fd);
}

export function peerCredentials(fd: Fd): Credentials {
  return native.peerCredentials(fd);
}

/** One sendmsg with at most one fd: the bytes sent, or 'would-block' (EAGAIN). */
export function send(fd: Fd, bytes: Uint8Array, passFd?: Fd): number | 'would-block' {
  const sent = native.send(fd, bytes, passFd ?? -1);
  return sent < 0 ? 'would-block' : sent;
}

/** One recvmsg of at most `length` bytes, or null when nothing is waiting. */
export function receive(fd: Fd, length: number): Received | null {
  return native.receive(fd, length);
}

/**
 * Points fds 0, 1 and 2 at `path` (dup2; /dev/null for a daemon), so that
 * no later fd takes their numbers and nothing meant for stdio reaches it.
 */
export function redirectStdio(path: string): void {
  native.redirectStdio(path);
}
