// A cluster's events in words, once for every place that tells them (the
// log of famez server/fabric, the lab's output): a host joining or leaving,
// NATS lost and back, remote peers, warnings.
import type { ClusterNode } from './node.js';

export type ClusterLine = (level: 'info' | 'warn' | 'debug', text: string) => void;

export function tellClusterEvents(node: ClusterNode, line: ClusterLine): void {
  const { url, timeoutMs } = node.plan;
  node.on('warning', (text) => line('warn', text));
  node.on('node-joined', (host) => line('info', `host ${host} joined the fabric`));
  node.on('node-left', (host, reason) => line('info', `host ${host} left the fabric: ${reason}`));
  node.on('connection', (up) =>
    up
      ? line('info', `NATS at ${url} reachable again: hosts re-announced, fault changes re-sent (the latest wins)`)
      : line(
          'warn',
          `NATS at ${url} unreachable: local traffic goes on; other hosts' peers leave after ${timeoutMs} ms`,
        ),
  );
  node.on('remote-peer', (host, peer) =>
    line('info', `remote peer ${peer.id}${peer.nodename ? ` (${peer.nodename})` : ''} on host ${host}`),
  );
  node.on('remote-peer-gone', (host, id, reason) => line('info', `remote peer ${id} on host ${host} gone: ${reason}`));
}
