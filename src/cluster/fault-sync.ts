// Fault changes between nodes, pure: each node names a host link after the
// host at its other end, so a change another node made is renamed before it
// applies here; and a link's faults as the changes that rebuild them.
import type { FaultChange, LinkFaults } from '../switching/faults.js';
import { hostLinkName, isHostLink } from './links.js';

/** Node `me`'s view of a change node `from` made: undefined when it is about a link between two other hosts. */
export function renamedChange(me: string, from: string, change: FaultChange): FaultChange | undefined {
  if (!isHostLink(change.link)) return change;
  return change.link === hostLinkName(me) ? { ...change, link: hostLinkName(from) } : undefined;
}

/** The changes that give `link` exactly these faults (whatever it had before). */
export function changesFor(link: string, faults: LinkFaults): FaultChange[] {
  const changes: FaultChange[] = [{ kind: 'clear', link }];
  if (faults.down) changes.push({ kind: 'link', link, up: false });
  if (faults.addedUs) changes.push({ kind: 'latency', link, us: faults.addedUs });
  if (faults.dropProbability) changes.push({ kind: 'drop', link, probability: faults.dropProbability });
  if (faults.rate) changes.push({ kind: 'rate', link, rate: faults.rate });
  return changes;
}
