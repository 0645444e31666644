// What `famez fabric` logs of its fabric: joins, leaves, refusals, links
// configured, warnings, faults; at -v each message, at -vv the port table.
import { switchDiagram, type Fabric } from '../fabric/index.js';
import type { Logger } from './logger.js';
import { logFaults } from './switching.js';

export function logFabricEvents(fabric: Fabric, log: Logger, verbosity: number): void {
  const dump = (): void =>
    switchDiagram(fabric.layout.nClients, fabric.ports).forEach((line) => log.info('switch', line));
  fabric.on('warning', (text) => log.warn('warning', text));
  fabric.on('error', (error) => log.warn('error', error.message));
  if (verbosity > 0) fabric.on('debug', (text) => log.debug('message', text));
  fabric.on('port-joined', (port, peer) => {
    const who = peer.credentials;
    log.info('peer-joined', `peer ${port.id} joined (pid ${who?.pid}, uid ${who?.uid}, gid ${who?.gid})`, {
      id: port.id,
      pid: who?.pid,
      uid: who?.uid,
    });
    if (verbosity > 1) dump();
  });
  fabric.on('port-left', (port, reason) => {
    log.info('peer-left', `peer ${port.id}${port.nodename ? ` (${port.nodename})` : ''} gone: ${reason}`, {
      id: port.id,
      nodename: port.nodename,
      reason,
    });
    if (verbosity > 1) dump();
  });
  fabric.on('peer-refused', (who, reason) =>
    log.info('peer-refused', `peer refused (pid ${who?.pid ?? '?'}, uid ${who?.uid ?? '?'}): ${reason}`, {
      pid: who?.pid,
      uid: who?.uid,
      reason,
    }),
  );
  fabric.on('link', (port, change) => {
    if (change === 'configured') {
      log.info(
        'link-configured',
        `port ${port.id} (${port.nodename || port.cclass}) configured: CID=${port.cid}, SID=${port.sid}`,
        { id: port.id, nodename: port.nodename, cid: port.cid, sid: port.sid },
      );
    } else {
      log.info(
        'peer-attributes',
        `port ${port.id} (${port.nodename || port.cclass}): ${Object.entries(port.peerAttributes)
          .map(([k, v]) => `${k}=${v}`)
          .join(',')}`,
        { id: port.id, ...port.peerAttributes },
      );
    }
    if (verbosity > 1) dump();
  });
  fabric.on('dump', dump);
  logFaults(fabric, log);
}
