// A switched server's Router as the web sees it: switches, links with their
// state, counters and faults, fault changes, and a sample of the doorbell
// trace. The router traces only while someone listens, so the sampler
// listens only until its budget for the second is spent: at 100k doorbells/s
// the stream carries a few a second and the forwarder builds no more entries.
import type { Fabric } from '../fabric/index.js';
import type { FaultChange, Router, TraceEntry } from '../switching/index.js';
import type { SourceEvent, SwitchingSource, SwitchLinkView } from './model.js';

export interface SwitchingOptions {
  /** How a change is applied (the fabric's applyFault tells its peers); default router.apply. */
  apply?: (change: FaultChange) => FaultChange;
  /** Trace entries the stream carries per second at most (default 20). */
  tracesPerSecond?: number;
}

const ZERO = { forwarded: 0, dropped: 0, delayed: 0, messages: 0, bytes: 0 };

export function routerSwitching(router: Router, options: SwitchingOptions = {}): SwitchingSource {
  const apply = options.apply ?? ((change: FaultChange) => router.apply(change));
  return {
    switches: () => router.topology.switches,
    links(peers): SwitchLinkView[] {
      const counters = router.counters();
      const faults = new Map(router.faults());
      const view = (
        name: string,
        ends: [string, string],
        kind: SwitchLinkView['kind'],
        latencyUs: number,
      ): SwitchLinkView => {
        const linkFaults = faults.get(name) ?? {};
        return {
          name,
          ends,
          kind,
          latencyUs,
          state: linkFaults.down ? 'down' : 'up',
          faults: linkFaults,
          counters: counters.get(name) ?? { ...ZERO },
        };
      };
      return [
        ...router.topology.links.map((link) =>
          view(link.name, [`switch:${link.a}`, `switch:${link.b}`], 'switch-link', link.latencyUs),
        ),
        ...peers.map((id) => {
          const at = router.attachment(id);
          return view(`peer:${id}`, [`peer-${id}`, `switch:${at.switch}`], 'peer-link', at.latencyUs);
        }),
      ];
    },
    faults: () => router.faults().map(([link, faults]) => ({ link, ...faults })),
    get faultChanges() {
      return router.faultChanges;
    },
    apply,
    subscribe(listener) {
      const onFault = (change: FaultChange, text: string): void => listener({ type: 'fault', change, text });
      router.on('fault', onFault);
      const stopSampling = sampleTraces(router, options.tracesPerSecond ?? 20, listener);
      return () => {
        router.off('fault', onFault);
        stopSampling();
      };
    },
  };
}

/** A fabric's switching, if it is switched: changes go through the fabric, which logs them and tells the peers. */
export function fabricSwitching(
  fabric: Fabric,
  options: Omit<SwitchingOptions, 'apply'> = {},
): SwitchingSource | undefined {
  return fabric.router && routerSwitching(fabric.router, { ...options, apply: (change) => fabric.applyFault(change) });
}

/** Passes at most `perSecond` trace entries a second; between budgets nobody listens to the router. */
function sampleTraces(router: Router, perSecond: number, listener: (event: SourceEvent) => void): () => void {
  let budget = 0;
  let timer: NodeJS.Timeout | undefined;
  const onTrace = ({ at: _at, ...entry }: TraceEntry): void => {
    listener({ type: 'trace', ...entry });
    if (--budget > 0) return;
    router.off('trace', onTrace);
    timer = setTimeout(resume, 1000).unref();
  };
  const resume = (): void => {
    budget = perSecond;
    router.on('trace', onTrace);
  };
  resume();
  return () => {
    clearTimeout(timer);
    router.off('trace', onTrace);
  };
}
