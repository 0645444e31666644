// Options `famez server` and `famez fabric` share for switched doorbells,
// and the console commands that change faults and show counters.
import { readFileSync } from 'node:fs';
import {
  describeFaults,
  FAULT_HELP,
  FaultError,
  faultNotice,
  parseFaultCommand,
  type FaultChange,
} from '../switching/faults.js';
import { FabricFileError, parseFabricFile } from '../switching/fabric-file.js';
import type { LinkFaults } from '../switching/faults.js';
import type { LinkCounters } from '../switching/router-types.js';
import type { Path } from '../switching/routing.js';
import type { Topology } from '../switching/topology.js';
import type { SwitchingSource } from '../web/model.js';
import type { Logger } from './logger.js';
import { integer, UsageError } from './usage.js';

export const SWITCHING_OPTIONS = {
  switched: { type: 'boolean' },
  'fabric-file': { type: 'string' },
  seed: { type: 'string' },
} as const;

export const SWITCHING_HELP = `      --switched           every doorbell between peers passes through famez: counters, faults, latency
      --fabric-file PATH   with --switched: switches, links and where peers land (JSON; default one switch)
      --seed N             with --switched: seed of the drop probability's PRNG`;

type SwitchingValues = { switched?: boolean; 'fabric-file'?: string; seed?: string };

export interface SwitchingPlan {
  switched?: boolean;
  topology?: Topology;
  seed?: number;
}

export function planSwitching(command: string, values: SwitchingValues): SwitchingPlan {
  if (!values.switched) {
    const given = (['fabric-file', 'seed'] as const).find((name) => values[name] !== undefined);
    if (given) throw new UsageError(`${command}: --${given} needs --switched`);
    return {};
  }
  const seed = values.seed === undefined ? undefined : integer('--seed', values.seed, 0, 0xffffffff);
  const path = values['fabric-file'];
  if (path === undefined) return { switched: true, seed };
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`${command}: --fabric-file ${path}: ${(error as Error).message}`);
  }
  try {
    return { switched: true, seed, topology: parseFabricFile(text) };
  } catch (error) {
    if (error instanceof FabricFileError) throw new UsageError(`${command}: --fabric-file ${path}: ${error.message}`);
    throw error;
  }
}

export const SWITCH_CONSOLE_HELP = FAULT_HELP.join('\n');
/** The switching console's commands, for "did you mean". */
export const SWITCH_CONSOLE_VERBS = [
  'link',
  'isolate',
  'rejoin',
  'latency',
  'drop',
  'rate',
  'clear',
  'faults',
  'counters',
  'routes',
];

/** What the console shows of the links: a Router, or a cluster's links (with a router's, when switched). */
export interface ConsoleSwitching {
  faults(): [string, LinkFaults][];
  counters(): Map<string, LinkCounters>;
  /** Paths between switches (only where a router routes). */
  paths?(from: string, to: string): Path[];
}

/** The console's face of a web switching view: its faults, and the counters of its links for `peers`. */
export function consoleSwitching(
  view: SwitchingSource,
  peers: () => number[],
  paths?: ConsoleSwitching['paths'],
): ConsoleSwitching {
  return {
    faults: () => view.faults().map(({ link, ...faults }) => [link, faults]),
    counters: () => new Map(view.links(peers()).map((link) => [link.name, link.counters])),
    paths,
  };
}

/**
 * Runs a console line that is about switching: a fault change (through
 * `apply`, which logs and tells peers), faults, counters or routes. False
 * when the line is none of these.
 */
export function switchCommand(
  router: ConsoleSwitching,
  line: string,
  apply: (change: FaultChange) => void,
  print: (text: string) => void,
): boolean {
  const [command, ...args] = line.trim().split(/\s+/);
  try {
    if (command === 'faults') {
      const faults = router.faults();
      if (faults.length === 0) print('no faults');
      for (const [link, state] of faults) print(`${link.padEnd(16)} ${describeFaults(state)}`);
      return true;
    }
    if (command === 'counters') {
      print(
        `${'link'.padEnd(16)} ${['forwarded', 'dropped', 'delayed', 'messages', 'bytes'].map((h) => h.padStart(10)).join(' ')}`,
      );
      for (const [link, c] of router.counters()) {
        print(
          `${link.padEnd(16)} ${[c.forwarded, c.dropped, c.delayed, c.messages, c.bytes].map((n) => String(n).padStart(10)).join(' ')}`,
        );
      }
      return true;
    }
    if (command === 'routes') {
      if (args.length !== 2) throw new FaultError('usage: routes SWITCH SWITCH');
      if (!router.paths)
        throw new FaultError(
          'routes: doorbells between hosts take the one link to the host: no routes without --switched',
        );
      const paths = router.paths(args[0]!, args[1]!);
      if (paths.length === 0) print(`no path from ${args[0]} to ${args[1]}`);
      for (const path of paths)
        print(`${path.switches.join(' > ')}  via ${path.links.join(', ') || '-'}  ${path.latencyUs} us`);
      return true;
    }
    const change = parseFaultCommand(line);
    if (!change) return false;
    apply(change);
  } catch (error) {
    if (!(error instanceof FaultError)) throw error;
    print(error.message);
  }
  return true;
}

/** Logs every fault change as one line with its fields. */
export function logFaults(
  emitter: { on(event: 'fault', listener: (change: FaultChange, text: string) => void): unknown },
  log: Logger,
): void {
  emitter.on('fault', (change, text) =>
    log.info('fault', `fault: ${text}`, { kind: change.kind, link: change.link, notice: faultNotice(change) }),
  );
}
