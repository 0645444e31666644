// Linux eventfds: the doorbells.
import { native, type EventfdReadMode } from './native.js';
import type { Fd } from './socket.js';

/** A new non-blocking, close-on-exec eventfd with counter 0. */
export function createEventfd(): Fd {
  return native.eventfd();
}

/** Adds `count` to the counter: false when it is full. */
export function ringEventfd(fd: Fd, count = 1): boolean {
  return native.eventfdWrite(fd, count);
}

export type { EventfdReadMode };
export { ringEventfdSoon } from './ring-soon.js';

/**
 * How drains (drainEventfd, eventfd watchers) read a counter that a peer may have made blocking:
 * 'preadv2', one preadv2(RWF_NOWAIT) (EAGAIN on an empty counter, whatever the fd's flags), or
 * 'poll', a poll() then a read(), where the kernel refuses RWF_NOWAIT on an eventfd. The addon
 * probes the kernel once, when it loads; FAMEZ_EVENTFD_READ=poll in the environment forces 'poll'.
 */
export function eventfdReadMode(): EventfdReadMode {
  return native.eventfdReadMode();
}

/** Reads and resets the counter: 0 when nothing is pending. Never blocks, never changes the fd's flags. */
export function drainEventfd(fd: Fd): number {
  return native.eventfdRead(fd);
}

/**
 * BLOCKS the calling thread until the eventfd is rung or `timeoutMs` pass
 * (-1: no limit), then reads and resets the counter: the count, 0 on timeout.
 * For a worker thread given over to one doorbell: it wakes straight from the
 * kernel instead of through the event loop (lower latency), and holds its
 * thread the whole time. Never call it on the main thread.
 */
export function waitEventfd(fd: Fd, timeoutMs = -1): number {
  return native.eventfdWait(fd, timeoutMs);
}

/**
 * Turns the fd's O_NONBLOCK off (or back on). The flag belongs to the open
 * file, shared by every process that holds the eventfd: for a doorbell given
 * over to one waiting thread, whose unbounded waitEventfd() is then a single
 * blocking read(). famez's own reads never depend on the flag.
 */
export function setEventfdBlocking(fd: Fd, blocking: boolean): void {
  native.eventfdSetBlocking(fd, blocking);
}

/**
 * Rings `ringFd`, then waits on `waitFd` as waitEventfd() does (BLOCKS the
 * calling thread): a worker thread's answer and its next wait in one call
 * into the addon, which costs about as much as a system call.
 */
export function ringThenWaitEventfd(ringFd: Fd, waitFd: Fd, timeoutMs = -1): number {
  return native.eventfdRingWait(ringFd, waitFd, timeoutMs);
}

/** Whether `fd` is an eventfd (a doorbell handed over by a peer may be anything). */
export function isEventfd(fd: Fd): boolean {
  return native.isEventfd(fd);
}

/** `count` new eventfds (a peer's doorbells, one per vector); none is left open when one fails. */
export function createEventfds(count: number): Fd[] {
  const fds: Fd[] = [];
  try {
    for (let i = 0; i < count; i++) fds.push(createEventfd());
  } catch (error) {
    fds.forEach((fd) => native.close(fd));
    throw error;
  }
  return fds;
}
