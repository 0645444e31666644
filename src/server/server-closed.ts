// The error a server's callers tell apart from the rest: it is not running
// (closed, or not listening yet), so what was asked of it cannot be done.
export class ServerClosedError extends Error {
  override name = 'ServerClosedError';
  readonly code = 'FAMEZ_CLOSED';
}
