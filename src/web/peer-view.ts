// PeerInfo and the switch's Port as the API shows them.
import type { PeerInfo } from '../server/index.js';
import type { Port } from '../fabric/index.js';
import type { PeerView } from './model.js';

export function peerView(peer: PeerInfo, builtIn: boolean, port?: Port): PeerView {
  const view: PeerView = { id: peer.id, vectors: peer.vectors, joinedAt: peer.joinedAt.toISOString(), builtIn };
  if (peer.credentials) {
    const { pid, uid, gid } = peer.credentials;
    view.credentials = { pid, uid, gid };
  }
  if (port) {
    Object.assign(view, {
      nodename: port.nodename,
      cclass: port.cclass,
      cid: port.cid,
      sid: port.sid,
      linkState: port.linkState,
      peerAttributes: { ...port.peerAttributes },
      received: port.received,
      sent: port.sent,
    });
  }
  return view;
}

/** A refusal's reason as a metric label: a few fixed words, never the free text. */
export function refusalCategory(reason: string): string {
  if (/full/.test(reason)) return 'full';
  if (/allow-uid|allow-gid|not in/.test(reason)) return 'not allowed';
  if (/file descriptors|EMFILE|ENFILE/.test(reason)) return 'out of fds';
  if (/hung up|sent data/.test(reason)) return 'gone before joining';
  return 'other';
}
