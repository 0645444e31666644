// A receiver kept a mailbox slot past the timeout and the slot was taken
// back. Both ends of the fabric (host and peer) send through a courier that
// fails with it, and the web answers it with 504: it lives below them all.
export class TimeoutError extends Error {
  override name = 'TimeoutError';
}
