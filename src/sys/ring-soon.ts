// Rings held for the eventfd watcher callback that is running: the addon rings
// the one a callback leaves as the callback returns, in the same crossing out of
// the addon, instead of a call into it of its own (see native/watcher.c).
import { native } from './native.js';

let inCallback = false;
let held = -1;

/**
 * Rings the eventfd `fd` `count` times, as ringEventfd() does; inside an eventfd
 * watcher's callback (a doorbell being handled), the first single ring is done by
 * the addon as that callback returns, before any promise job or tick runs, with
 * no call of its own into the addon. True when it rang or was held; false when
 * the counter is full (a held ring that finds the counter full is lost unsaid,
 * as a ring whose result is ignored).
 */
export function ringEventfdSoon(fd: number, count = 1): boolean {
  if (inCallback && held < 0 && count === 1 && Number.isInteger(fd) && fd >= 0) {
    held = fd;
    return true;
  }
  releaseHeldRing();
  return native.eventfdWrite(fd, count);
}

/** Calls an eventfd watcher's callback: the eventfd the addon is to ring as it returns, or -1. */
export function runHoldingRings(callback: (count: number) => void, count: number): number {
  inCallback = true;
  try {
    callback(count);
  } catch (error) {
    inCallback = false;
    releaseHeldRing();
    throw error;
  }
  inCallback = false;
  const fd = held;
  held = -1;
  return fd;
}

/** Rings a held ring now: before an fd is closed (its number could be reused before the addon rings it). */
export function releaseHeldRing(): void {
  if (held < 0) return;
  const fd = held;
  held = -1;
  try {
    native.eventfdWrite(fd, 1);
  } catch {
    // lost, as the addon's own ring of it would be (see ringEventfdSoon)
  }
}
