// Fault changes between nodes, checked: a link nodes have, numbers in range.
import { checkChange, type FaultChange } from '../switching/faults.js';
import { isId, isNumber } from './wire-checks.js';

/** A link as nodes name them: a host's (`host:NAME`) or a peer's (`peer:ID`). */
const isLinkName = (value: unknown): value is string =>
  typeof value === 'string' &&
  (/^host:[A-Za-z0-9_-]{1,64}$/.test(value) ||
    (/^peer:(0|[1-9][0-9]{0,4})$/.test(value) && isId(Number(value.slice(5)))));

export function changeOf(value: unknown): FaultChange | string {
  if (typeof value !== 'object' || value === null) return 'a fault without its change';
  const c = value as Record<string, unknown>;
  if (c.kind === 'clear' ? c.link !== undefined && !isLinkName(c.link) : !isLinkName(c.link))
    return 'a fault on a link nodes do not have';
  let change: FaultChange;
  switch (c.kind) {
    case 'link':
      if (typeof c.up !== 'boolean') return 'a bad link fault';
      change = { kind: 'link', link: c.link as string, up: c.up };
      break;
    case 'latency':
      if (!isNumber(c.us)) return 'a bad latency fault';
      change = { kind: 'latency', link: c.link as string, us: c.us };
      break;
    case 'drop':
      if (!isNumber(c.probability)) return 'a bad drop fault';
      change = { kind: 'drop', link: c.link as string, probability: c.probability };
      break;
    case 'rate': {
      const rate = c.rate as Record<string, unknown> | undefined;
      if (
        rate !== undefined &&
        (typeof rate !== 'object' || rate === null || !isNumber(rate.perSecond) || !isNumber(rate.burst))
      )
        return 'a bad rate fault';
      change = {
        kind: 'rate',
        link: c.link as string,
        rate: rate && { perSecond: rate.perSecond as number, burst: rate.burst as number },
      };
      break;
    }
    case 'clear':
      change = c.link === undefined ? { kind: 'clear' } : { kind: 'clear', link: c.link as string };
      break;
    default:
      return 'an unknown kind of fault';
  }
  try {
    return checkChange(change);
  } catch (error) {
    return `a fault out of range (${(error as Error).message})`;
  }
}
