// `famez fabric`'s console on a terminal: FAME-Z's help, dump and quit, and
// with switching or a cluster the fault commands.
import { promptLoop } from './console/prompt-loop.js';
import { switchDiagram, type Fabric } from '../fabric/index.js';
import type { FaultChange } from '../switching/faults.js';
import type { SwitchingSource } from '../web/index.js';
import {
  consoleSwitching,
  switchCommand,
  SWITCH_CONSOLE_HELP,
  SWITCH_CONSOLE_VERBS,
  type ConsoleSwitching,
} from './switching.js';
import { unknownCommand } from './nearest.js';

interface ConsoleLinks {
  links: ConsoleSwitching;
  apply: (change: FaultChange) => unknown;
}

/**
 * A cluster's links on the console: the host links, and the router's when switched; its peers' own links but the
 * switch's.
 */
export function clusterConsole(fabric: Fabric, view: SwitchingSource): ConsoleLinks {
  const peers = (): number[] =>
    [...fabric.server.peers.keys()].filter((id) => id !== fabric.layout.serverId).sort((a, b) => a - b);
  const router = fabric.router;
  return {
    links: consoleSwitching(view, peers, router && ((a, b) => router.paths(a, b))),
    apply: (change) => view.apply(change),
  };
}

/**
 * FAME-Z's server console: help, dump, quit. Resolves on quit or end of
 * input. Switched or in a cluster, also the fault commands, faults, counters
 * (and routes with a router); a cluster's links (`cluster`) take the place of
 * the router's.
 */
export function runConsole(fabric: Fabric, cluster?: ConsoleLinks): Promise<void> {
  const router = fabric.router;
  const switching: ConsoleLinks | undefined =
    cluster ?? (router && { links: router, apply: (change) => fabric.applyFault(change) });
  const prompt = `${fabric.switch?.nodename ?? 'Z-server'}> `;
  return promptLoop(prompt, (command, print) => {
    if (command === 'h' || command === 'help' || command === '?') {
      print('h[elp]\n\tthis message\nd[ump]\n\tthe switch and its ports\nq[uit]\n\tclose every peer and stop');
      if (switching) print(SWITCH_CONSOLE_HELP);
    } else if (command === 'd' || command === 'dump') {
      switchDiagram(fabric.layout.nClients, fabric.ports).forEach(print);
      for (const port of fabric.ports.values()) {
        print(
          `${String(port.id).padStart(2)} ${(port.nodename || '-').padEnd(12)} ${port.cclass.padEnd(16)} link ${port.linkState.padEnd(10)} ` +
            `CID=${port.cid} SID=${port.sid} in=${port.received} out=${port.sent}`,
        );
      }
    } else if (!(switching && switchCommand(switching.links, command, switching.apply, print))) {
      print(unknownCommand(command, ['help', 'dump', 'quit', ...(switching ? SWITCH_CONSOLE_VERBS : [])]));
    }
  });
}
