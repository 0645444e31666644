// Paths between switches: the k shortest by latency (Yen's algorithm over
// Dijkstra), kept per pair as Gen-Z fabric managers keep alternates, so that
// a link going down moves traffic to the next path without recomputing.
// Pure: plain data in, plain data out.
import type { SwitchLink } from './topology.js';

export interface Path {
  /** Switches from source to destination. */
  switches: string[];
  /** The links crossed, in order. */
  links: string[];
  latencyUs: number;
}

interface Edge {
  link: SwitchLink;
  to: string;
}

function adjacency(links: readonly SwitchLink[]): Map<string, Edge[]> {
  const edges = new Map<string, Edge[]>();
  const add = (from: string, edge: Edge): void => {
    const list = edges.get(from);
    if (list) list.push(edge);
    else edges.set(from, [edge]);
  };
  for (const link of links) {
    add(link.a, { link, to: link.b });
    add(link.b, { link, to: link.a });
  }
  return edges;
}

/** The shortest path avoiding some links and switches; ties broken by fewer hops, then link names. */
function shortest(
  edges: Map<string, Edge[]>,
  from: string,
  to: string,
  avoidLinks: ReadonlySet<string>,
  avoidSwitches: ReadonlySet<string>,
): Path | undefined {
  const best = new Map<string, Path>([[from, { switches: [from], links: [], latencyUs: 0 }]]);
  const done = new Set<string>();
  for (;;) {
    let current: Path | undefined;
    for (const [node, path] of best) {
      if (!done.has(node) && (!current || better(path, current))) current = path;
    }
    if (!current) return undefined;
    const node = current.switches[current.switches.length - 1]!;
    if (node === to) return current;
    done.add(node);
    for (const { link, to: next } of edges.get(node) ?? []) {
      if (done.has(next) || avoidLinks.has(link.name) || avoidSwitches.has(next)) continue;
      const candidate = {
        switches: [...current.switches, next],
        links: [...current.links, link.name],
        latencyUs: current.latencyUs + link.latencyUs,
      };
      const known = best.get(next);
      if (!known || better(candidate, known)) best.set(next, candidate);
    }
  }
}

function better(a: Path, b: Path): boolean {
  if (a.latencyUs !== b.latencyUs) return a.latencyUs < b.latencyUs;
  if (a.links.length !== b.links.length) return a.links.length < b.links.length;
  return a.links.join(',') < b.links.join(',');
}

/** Up to k loopless paths from `from` to `to`, shortest first (one empty path when they are the same switch). */
export function kShortestPaths(links: readonly SwitchLink[], from: string, to: string, k: number): Path[] {
  const edges = adjacency(links);
  const first = shortest(edges, from, to, new Set(), new Set());
  if (!first) return [];
  const found: Path[] = [first];
  const candidates: Path[] = [];
  const key = (path: Path): string => path.links.join(',');
  while (found.length < k) {
    const last = found[found.length - 1]!;
    for (let i = 0; i < last.links.length; i++) {
      const rootSwitches = last.switches.slice(0, i + 1);
      const rootLinks = last.links.slice(0, i);
      const avoidLinks = new Set<string>();
      for (const path of found) {
        if (path.links.slice(0, i).join(',') === rootLinks.join(',') && path.links[i] !== undefined)
          avoidLinks.add(path.links[i]!);
      }
      const spur = shortest(edges, rootSwitches[i]!, to, avoidLinks, new Set(rootSwitches.slice(0, i)));
      if (!spur) continue;
      const rootLatency = rootLinks.reduce((sum, name) => sum + links.find((link) => link.name === name)!.latencyUs, 0);
      const path = {
        switches: [...rootSwitches, ...spur.switches.slice(1)],
        links: [...rootLinks, ...spur.links],
        latencyUs: rootLatency + spur.latencyUs,
      };
      if (![...found, ...candidates].some((other) => key(other) === key(path))) candidates.push(path);
    }
    if (candidates.length === 0) break;
    candidates.sort((a, b) => (better(a, b) ? -1 : better(b, a) ? 1 : 0));
    found.push(candidates.shift()!);
  }
  return found;
}

/** The first of `paths` whose links are all up, or undefined: no route. */
export function firstUp(paths: readonly Path[], isUp: (link: string) => boolean): Path | undefined {
  return paths.find((path) => path.links.every(isUp));
}

/** The groups of switches that can reach each other over links that are up. */
export function partitions(
  switches: readonly string[],
  links: readonly SwitchLink[],
  isUp: (link: string) => boolean,
): string[][] {
  const edges = adjacency(links.filter((link) => isUp(link.name)));
  const seen = new Set<string>();
  const groups: string[][] = [];
  for (const start of switches) {
    if (seen.has(start)) continue;
    const group: string[] = [];
    const stack = [start];
    seen.add(start);
    while (stack.length > 0) {
      const node = stack.pop()!;
      group.push(node);
      for (const { to } of edges.get(node) ?? []) {
        if (!seen.has(to)) {
          seen.add(to);
          stack.push(to);
        }
      }
    }
    groups.push(group.sort());
  }
  return groups;
}
