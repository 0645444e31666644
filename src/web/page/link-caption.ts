// What a switched link says beside its line: its name, latency, faults and
// counters, in a few words. Pure: the page and its tests share it.
import type { TopologyLink } from '../model.js';

/** Two lines: the name with its latency and faults, then the counters. */
export function linkCaption(link: TopologyLink): [string, string] {
  const parts = [
    link.kind === 'switch-link' && link.latencyUs ? `${link.name} ${link.latencyUs} µs` : (link.name ?? ''),
  ];
  const faults = link.faults ?? {};
  if (faults.down) parts.push('DOWN');
  if (faults.addedUs) parts.push(`+${faults.addedUs} µs`);
  if (faults.dropProbability) parts.push(`drop ${faults.dropProbability}`);
  if (faults.rate) parts.push(`${faults.rate.perSecond}/s`);
  const counters = link.counters;
  const counted = counters
    ? [`${counters.forwarded} fwd`, ...(counters.dropped ? [`${counters.dropped} lost`] : [])]
    : [];
  return [parts.join(' · '), counted.join(' · ')];
}

/** The link's CSS state: a switched link is down, faulty (latency, drop or rate) or nothing; a port its link state. */
export function linkClass(link: TopologyLink): string {
  if (link.name === undefined) return link.state ?? '';
  const faults = link.faults ?? {};
  if (faults.down) return 'down';
  return faults.addedUs || faults.dropProbability || faults.rate ? 'faulty' : '';
}
