// The body of POST /api/v1/faults as a fault change: either the console's
// words ({"command": "link down trunk"}) or the change spelt out as JSON
// ({"action": "down", "link": "trunk"}). Anything else is a 400 naming the
// field. Pure.
import { checkChange, FaultError, isolate, parseFaultCommand, type FaultChange } from '../switching/faults.js';
import { HttpError } from './http-json.js';

export const FAULT_ACTIONS = ['down', 'up', 'isolate', 'rejoin', 'latency', 'drop', 'rate', 'clear'] as const;

type Body = Record<string, unknown>;

const bad = (message: string): never => {
  throw new HttpError(400, message);
};

function field<T>(body: Body, key: string, check: (value: unknown) => value is T, what: string): T {
  const value = body[key];
  return check(value)
    ? value
    : bad(`"${key}" must be ${what}${value === undefined ? ' (it is missing)' : `, not ${JSON.stringify(value)}`}`);
}

const isLink = (value: unknown): value is string => typeof value === 'string' && value !== '' && value.length <= 64;
const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
const isPeer = (value: unknown): value is number =>
  Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 65535;

/** The change the body asks for, its numbers checked; an HttpError 400 naming the field otherwise. */
export function parseFaultRequest(body: unknown): FaultChange {
  const change = spelt(body);
  try {
    return checkChange(change);
  } catch (error) {
    if (!(error instanceof FaultError)) throw error;
    return bad(error.field ? `"${error.field}": ${error.message}` : error.message);
  }
}

function spelt(body: unknown): FaultChange {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return bad('the body must be a JSON object with "action" (or "command")');
  const fields = body as Body;
  if (fields.command !== undefined) {
    const command = field(
      fields,
      'command',
      (v): v is string => typeof v === 'string' && v.length <= 200,
      'a fault command such as "link down trunk"',
    );
    try {
      return (
        parseFaultCommand(command) ??
        bad(`"command": "${command}" is no fault command (${FAULT_ACTIONS.join(', ')}, link down|up)`)
      );
    } catch (error) {
      if (error instanceof FaultError) bad(`"command": ${error.message}`);
      throw error;
    }
  }
  const action = field(
    fields,
    'action',
    (v): v is (typeof FAULT_ACTIONS)[number] => FAULT_ACTIONS.includes(v as never),
    `one of ${FAULT_ACTIONS.join(', ')}`,
  );
  const link = (): string => field(fields, 'link', isLink, "a link's name (a switch link, or peer:ID)");
  const number = (key: string, what: string): number => field(fields, key, isNumber, what);
  switch (action) {
    case 'down':
    case 'up':
      return { kind: 'link', link: link(), up: action === 'up' };
    case 'isolate':
    case 'rejoin':
      return isolate(field(fields, 'peer', isPeer, 'a peer id (0 to 65535)'), action === 'isolate');
    case 'latency':
      return { kind: 'latency', link: link(), us: number('us', 'microseconds added (0 to 10000000)') };
    case 'drop':
      return { kind: 'drop', link: link(), probability: number('probability', 'a probability from 0 to 1') };
    case 'rate': {
      const name = link();
      const perSecond = number('perSecond', 'doorbells per second (0: no limit)');
      if (perSecond === 0) return { kind: 'rate', link: name };
      const burst =
        fields.burst === undefined
          ? Math.max(1, Math.round(perSecond / 10))
          : number('burst', 'a whole number of doorbells, at least 1');
      return { kind: 'rate', link: name, rate: { perSecond, burst } };
    }
    case 'clear':
      return { kind: 'clear', link: fields.link === undefined ? undefined : link() };
  }
}
