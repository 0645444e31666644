// The fabric file (JSON): switches, links, peers. Everything is checked and
// a bad file is refused with the field and the reason.
import { DEFAULT_PATHS, type Attachment, type SwitchLink, type Topology } from './topology.js';

export class FabricFileError extends Error {
  override name = 'FabricFileError';
  readonly field: string;

  constructor(field: string, reason: string) {
    super(`${field}: ${reason}`);
    this.field = field;
  }
}

type Json = unknown;

const NAME = /^[A-Za-z0-9_.-]{1,32}$/;
/** A link's latency may not exceed 10 s: anything longer is a mistake in the file. */
const MAX_LATENCY_US = 10_000_000;

function object(value: Json, field: string): Record<string, Json> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new FabricFileError(field, 'must be an object');
  return value as Record<string, Json>;
}

function array(value: Json, field: string): Json[] {
  if (!Array.isArray(value)) throw new FabricFileError(field, 'must be an array');
  return value;
}

function onlyKeys(value: Record<string, Json>, keys: readonly string[], field: string): void {
  const extra = Object.keys(value).find((key) => !keys.includes(key));
  if (extra !== undefined) throw new FabricFileError(`${field}.${extra}`, `unknown field (known: ${keys.join(', ')})`);
}

function name(value: Json, field: string): string {
  if (typeof value !== 'string' || !NAME.test(value))
    throw new FabricFileError(field, 'must be a name of 1 to 32 letters, digits, _ . or -');
  return value;
}

function integer(value: Json, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new FabricFileError(field, `must be an integer from ${min} to ${max}`);
  }
  return value;
}

function latency(value: Json, field: string): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > MAX_LATENCY_US) {
    throw new FabricFileError(field, `must be a number of microseconds from 0 to ${MAX_LATENCY_US}`);
  }
  return value;
}

function knownSwitch(value: Json, field: string, switches: ReadonlySet<string>): string {
  const named = name(value, field);
  if (!switches.has(named))
    throw new FabricFileError(field, `no switch "${named}" (switches: ${[...switches].join(', ')})`);
  return named;
}

function parseLinks(value: Json, switches: ReadonlySet<string>): SwitchLink[] {
  const names = new Set<string>();
  return array(value ?? [], 'links').map((entry, i) => {
    const field = `links[${i}]`;
    const link = object(entry, field);
    onlyKeys(link, ['name', 'between', 'latencyUs'], field);
    const between = array(link['between'], `${field}.between`);
    if (between.length !== 2) throw new FabricFileError(`${field}.between`, 'must name two switches');
    const [a, b] = between.map((end, j) => knownSwitch(end, `${field}.between[${j}]`, switches)) as [string, string];
    if (a === b)
      throw new FabricFileError(`${field}.between`, `a link joins two different switches, not "${a}" to itself`);
    const linkName = link['name'] === undefined ? `${a}-${b}` : name(link['name'], `${field}.name`);
    if (linkName.startsWith('peer:'))
      throw new FabricFileError(`${field}.name`, "names starting with peer: are the peers' own links");
    if (names.has(linkName))
      throw new FabricFileError(`${field}.name`, `a second link named "${linkName}" (name parallel links)`);
    names.add(linkName);
    return { name: linkName, a, b, latencyUs: latency(link['latencyUs'], `${field}.latencyUs`) };
  });
}

function parsePeers(value: Json, switches: ReadonlySet<string>): Attachment[] {
  const taken = new Map<string, string>();
  const claim = (key: string, field: string, what: string): void => {
    const earlier = taken.get(key);
    if (earlier !== undefined) throw new FabricFileError(field, `${what} is given twice (first at ${earlier})`);
    taken.set(key, field);
  };
  return array(value ?? [], 'peers').map((entry, i) => {
    const field = `peers[${i}]`;
    const peer = object(entry, field);
    onlyKeys(peer, ['id', 'nodename', 'switch', 'port', 'latencyUs'], field);
    if ((peer['id'] === undefined) === (peer['nodename'] === undefined))
      throw new FabricFileError(field, 'needs either an id or a nodename');
    const attachment: Attachment = {
      switch: knownSwitch(peer['switch'], `${field}.switch`, switches),
      port: integer(peer['port'], `${field}.port`, 0, 255),
      latencyUs: latency(peer['latencyUs'], `${field}.latencyUs`),
    };
    if (peer['id'] !== undefined) {
      attachment.id = integer(peer['id'], `${field}.id`, 0, 65535);
      claim(`id:${attachment.id}`, `${field}.id`, `peer id ${attachment.id}`);
    } else {
      if (typeof peer['nodename'] !== 'string' || peer['nodename'] === '' || Buffer.byteLength(peer['nodename']) > 31) {
        throw new FabricFileError(`${field}.nodename`, 'must be a nodename of 1 to 31 bytes');
      }
      attachment.nodename = peer['nodename'];
      claim(`name:${attachment.nodename}`, `${field}.nodename`, `nodename "${attachment.nodename}"`);
    }
    claim(
      `port:${attachment.switch}:${attachment.port}`,
      `${field}.port`,
      `port ${attachment.port} of switch "${attachment.switch}"`,
    );
    return attachment;
  });
}

/** A topology from the parsed JSON of a fabric file. */
export function topologyFromJson(value: Json): Topology {
  const root = object(value, '(file)');
  onlyKeys(root, ['switches', 'links', 'peers', 'paths'], '(file)');
  const list = array(root['switches'], 'switches');
  if (list.length === 0) throw new FabricFileError('switches', 'must name at least one switch');
  const switches = new Set<string>();
  list.forEach((entry, i) => {
    const named = name(entry, `switches[${i}]`);
    if (switches.has(named)) throw new FabricFileError(`switches[${i}]`, `switch "${named}" is named twice`);
    switches.add(named);
  });
  return {
    switches: [...switches],
    links: parseLinks(root['links'], switches),
    peers: parsePeers(root['peers'], switches),
    paths: root['paths'] === undefined ? DEFAULT_PATHS : integer(root['paths'], 'paths', 1, 16),
  };
}

/** A topology from the text of a fabric file. */
export function parseFabricFile(text: string): Topology {
  let value: Json;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new FabricFileError('(file)', `not JSON: ${(error as Error).message}`);
  }
  return topologyFromJson(value);
}
