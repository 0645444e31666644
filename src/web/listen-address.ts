// `--http [ADDR:]PORT`: where the web server listens; loopback unless an
// address is given, never every interface by default.
export interface ListenAddress {
  host: string;
  port: number;
}

export const DEFAULT_HOST = '127.0.0.1';
/** FAME-Z's REST port. */
export const FAMEZ_HTTP_PORT = 1991;

/** Parses "8080", "0" (any free port),, "0.0.0.0:8080", "[::1]:8080" or "localhost:8080" (through URL); throws RangeError naming the problem. */
export function parseListenAddress(text: string): ListenAddress {
  const portOnly = /^\d+$/.test(text);
  let url: URL;
  try {
    url = new URL(`http://${portOnly ? `${DEFAULT_HOST}:${text}` : text}`);
  } catch {
    throw new RangeError(`"${text}" is no [ADDR:]PORT`);
  }
  if (url.username || url.password || url.pathname !== '/' || url.search || url.hash) throw new RangeError(`"${text}" is no [ADDR:]PORT`);
  if (url.port === '' && !/:0*80$/.test(text)) throw new RangeError(`"${text}" has no port: give ADDR:PORT or PORT`);
  // Port 0 takes any free port (the log line says which).
  return { host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(url.port || 80) };
}
