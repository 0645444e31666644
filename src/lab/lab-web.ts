// The web server beside the lab's fabric or server, as `famez fabric --http`
// and `famez server --http` serve it; its topology says how each guest maps the FAM.
import {
  cannotListen,
  createWebServer,
  type FamView,
  type ListenAddress,
  type WebServer,
  type WebSource,
} from '../web/index.js';
import { LabError } from './lab-lock.js';

/** Where and how the lab's page is served: the address, and the token and host names `--http-*` give. */
export interface LabWeb {
  listen: ListenAddress;
  token?: string;
  allowedHosts?: string[];
  busyEventsPerSecond?: number;
}

export async function serveLabWeb(
  source: WebSource,
  { listen, token, allowedHosts, busyEventsPerSecond }: LabWeb,
): Promise<WebServer> {
  const web = createWebServer({
    source,
    host: listen.host,
    port: listen.port,
    token,
    allowedHosts,
    busyEventsPerSecond,
  });
  try {
    await web.listen();
  } catch (error) {
    throw new LabError(cannotListen(listen, error as Error));
  }
  return web;
}

/** `source` with every peer node that `famOf` knows (by nodename) carrying its `fam`. */
export function withFam(source: WebSource, famOf: (nodename: string) => FamView | undefined): WebSource {
  return {
    ...source,
    topology() {
      const graph = source.topology();
      return {
        ...graph,
        nodes: graph.nodes.map((node) => {
          const fam = node.kind === 'peer' && node.nodename ? famOf(node.nodename) : undefined;
          return fam ? { ...node, fam } : node;
        }),
      };
    },
  };
}
