// `--http [ADDR:]PORT`: where the web server listens; loopback unless an
// address is given, never every interface by default.
export interface ListenAddress {
  host: string;
  port: number;
}

export const DEFAULT_HOST = '127.0.0.1';
/** FAME-Z's REST port. */
export const FAMEZ_HTTP_PORT = 1991;

/**
 * Parses "8080", "0" (any free port), "0.0.0.0:8080", "[::1]:8080" or "localhost:8080" (through URL); throws RangeError
 * naming the problem.
 */
export function parseListenAddress(text: string): ListenAddress {
  // A bare port is taken as it is: through URL, port 80 would vanish as http's default.
  if (/^\d+$/.test(text)) {
    const port = Number(text);
    if (port > 65535) throw new RangeError(`"${text}" is no port: use 0 to 65535 (0: any free port)`);
    return { host: DEFAULT_HOST, port };
  }
  let url: URL;
  try {
    url = new URL(`http://${text}`);
  } catch {
    throw new RangeError(`"${text}" is no [ADDR:]PORT`);
  }
  if (url.username || url.password || url.pathname !== '/' || url.search || url.hash)
    throw new RangeError(`"${text}" is no [ADDR:]PORT`);
  if (url.port === '' && !/:0*80$/.test(text)) throw new RangeError(`"${text}" has no port: give ADDR:PORT or PORT`);
  // Port 0 takes any free port (the log line says which).
  return { host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(url.port || 80) };
}

/** Whether `host` is this machine only: 127.0.0.0/8, ::1 or localhost. */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return (
    bare === 'localhost' ||
    bare === '::1' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(bare) ||
    /^::ffff:127\./.test(bare)
  );
}

/** Why the web server could not listen, and what to do (one message for every command with --http). */
export function cannotListen({ host, port }: ListenAddress, error: Error): string {
  const code = (error as NodeJS.ErrnoException).code;
  const advice =
    code === 'EADDRINUSE'
      ? `the port is in use (by another famez or another program): choose another with --http [ADDR:]PORT (0: any free port), or stop what listens there`
      : code === 'EADDRNOTAVAIL'
        ? 'no interface here has that address: give one of this machine, or only a PORT (127.0.0.1)'
        : code === 'EACCES'
          ? 'this user may not listen on a port below 1024: choose a higher one with --http'
          : error.message;
  return `cannot serve http on ${host}:${port}: ${advice}`;
}
