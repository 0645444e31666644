// Names that say where: a peer of another host is shown (and written into
// this host's mailbox) as NAME@HOST, within the slot's 31 bytes. A name picks
// the peers whose whole name it is, or whose name before the @ it is: a local
// lab1 and a remote lab1@west are both "lab1", and a name that picks several
// is refused, listed, so the user picks one.
import { MAX_NAME } from '../mailbox/layout.js';

/** `name@host`, cut to fit a slot (the name whole where it can be). */
export function qualifiedName(nodename: string, host: string): string {
  if (nodename === '') return '';
  return `${nodename}@${host}`.slice(0, MAX_NAME);
}

export interface NamedPeer {
  id: number;
  nodename: string;
}

/** The peers `word` names: one, none, or several (which the caller refuses). */
export function peersNamed<T extends NamedPeer>(peers: readonly T[], word: string): T[] {
  return peers.filter((p) => p.nodename === word || p.nodename.startsWith(`${word}@`));
}

/** Why a name picks several peers: them listed, and how to pick one. */
export function severalNamed(word: string, named: readonly NamedPeer[]): string {
  const list = named.map((p) => `${p.nodename} (${p.id})`).join(', ');
  return `"${word}" names ${named.length} peers: ${list}: give the name with its @host, or the id`;
}
