// The ids a clustered service claims across the cluster, from the one place
// each kind of service defines them: a server's id range (all ids unless
// given), a fabric's client slots.
import { clientIdRange } from '../mailbox/layout.js';
import { FULL_ID_RANGE, type IdRange } from '../server/ids.js';

export interface IdSpace {
  range: IdRange;
  random: boolean;
}

/** What a command knows of its ids before anything is opened. */
export type IdSource =
  | { kind: 'server'; idRange?: IdRange; ids?: string }
  | { kind: 'fabric'; nClients: number; ids?: string };

export function idSpace(source: IdSource): IdSpace {
  const range = source.kind === 'fabric' ? clientIdRange(source.nClients) : (source.idRange ?? FULL_ID_RANGE);
  return { range, random: source.ids === 'random' };
}
