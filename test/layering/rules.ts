// The layering of src/ (docs/layout.md) as rules over an import
// graph given as plain data, so that each rule can be tried on a planted edge.
import type { ImportEdge } from './import-graph.js';

/** Lowest first; a folder may import its own layer's folder and lower layers only. */
export const LAYERS: readonly (readonly string[])[] = [
  ['sys'],
  ['protocol'],
  ['memory'],
  ['server', 'client'],
  ['mailbox'],
  ['switching'],
  ['fabric'],
  ['cluster'],
  ['web'],
  ['lab'],
  ['cli'],
];

/** All that src/switching may take from src/server: the forwarding policy's interface. */
export const POLICY_INTERFACE = 'src/server/forwarding.ts';

/** The fabric's peer side: the files a fabric peer (and `famez chat`) may load from src/fabric. */
export const FABRIC_PEER_FILES = [
  'src/fabric/peer.ts',
  'src/fabric/peer-names.ts',
  'src/fabric/peer-mailbox.ts',
  'src/fabric/peer-types.ts',
  'src/fabric/answers.ts',
  'src/fabric/courier.ts',
  'src/fabric/link.ts',
  'src/fabric/payload.ts',
  'src/fabric/common.ts',
];
/** Where the peer side starts: the library's peer and the chat command. */
export const FABRIC_PEER_ENTRIES = ['src/fabric/peer.ts', 'src/cli/chat-command.ts'];

/** src/<folder>/... -> folder; files straight in src/ (the package's index) are above every layer. */
function folderOf(file: string): string | undefined {
  const parts = file.split('/');
  return parts[0] === 'src' && parts.length > 2 ? parts[1] : undefined;
}

function rankOf(folder: string): number {
  return LAYERS.findIndex((layer) => layer.includes(folder));
}

/** Edges that go up the layers or sideways between two folders of one layer, and folders in no layer. */
export function layerViolations(edges: readonly ImportEdge[]): string[] {
  const out: string[] = [];
  for (const { from, to } of edges) {
    const [a, b] = [folderOf(from), folderOf(to)];
    if (a === undefined || b === undefined || a === b) continue;
    const [ra, rb] = [rankOf(a), rankOf(b)];
    if (ra < 0 || rb < 0) {
      out.push(
        `${from} -> ${to}: src/${ra < 0 ? a : b} is in no layer (add it to LAYERS in test/layering/rules.ts and docs/layout.md)`,
      );
    } else if (ra < rb) {
      out.push(`${from} -> ${to}: src/${a} is below src/${b} (${LAYERS.map((l) => l.join('/')).join(' < ')})`);
    } else if (ra === rb) {
      out.push(`${from} -> ${to}: src/${a} and src/${b} are one layer and stay apart`);
    }
  }
  return out;
}

/** src/switching takes from src/server only the policy interface. */
export function switchingViolations(edges: readonly ImportEdge[]): string[] {
  return edges
    .filter(({ from, to }) => folderOf(from) === 'switching' && folderOf(to) === 'server' && to !== POLICY_INTERFACE)
    .map(({ from, to }) => `${from} -> ${to}: src/switching takes only ${POLICY_INTERFACE} from src/server`);
}

/** What each file imports. */
function successors(edges: readonly ImportEdge[]): Map<string, string[]> {
  const next = new Map<string, string[]>();
  for (const { from, to } of edges) next.set(from, [...(next.get(from) ?? []), to]);
  return next;
}

/** Every file reached from `entries`, with the path that reaches it. */
function reach(edges: readonly ImportEdge[], entries: readonly string[]): Map<string, string[]> {
  const next = successors(edges);
  const paths = new Map<string, string[]>(entries.map((entry) => [entry, [entry]]));
  const queue = [...entries];
  for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
    for (const to of next.get(file) ?? []) {
      if (paths.has(to)) continue;
      paths.set(to, [...paths.get(file)!, to]);
      queue.push(to);
    }
  }
  return paths;
}

/** The fabric's peer side loads nothing of its host side, nor the server or switching under it. */
export function peerSideViolations(
  edges: readonly ImportEdge[],
  entries = FABRIC_PEER_ENTRIES,
  peerFiles = FABRIC_PEER_FILES,
): string[] {
  const out: string[] = [];
  for (const [file, path] of reach(edges, entries)) {
    const folder = folderOf(file);
    const hostSide = folder === 'fabric' ? !peerFiles.includes(file) : folder === 'server' || folder === 'switching';
    if (hostSide)
      out.push(
        `${path.join(' -> ')}: the fabric's peer side reaches ${file} (peer files: FABRIC_PEER_FILES in test/layering/rules.ts)`,
      );
  }
  return out;
}

/** `famez server` (--switched and --http too) loads nothing of src/fabric when it runs; type imports load nothing. */
export function serverCommandViolations(edges: readonly ImportEdge[], entry = 'src/cli/server-command.ts'): string[] {
  return [
    ...reach(
      edges.filter((e) => !e.typeOnly),
      [entry],
    ),
  ]
    .filter(([file]) => folderOf(file) === 'fabric')
    .map(
      ([file, path]) =>
        `${path.join(' -> ')}: famez server loads ${file} (take what it needs from src/switching or lower)`,
    );
}

/** Import cycles (strongly connected components of more than one file, or a file importing itself). */
export function cycles(edges: readonly ImportEdge[]): string[][] {
  const next = successors(edges);
  // Tarjan's algorithm, iterative so that a deep chain cannot overflow the stack.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const nodes = [...new Set(edges.flatMap(({ from, to }) => [from, to]))].sort();
  for (const start of nodes) {
    if (index.has(start)) continue;
    const work: Array<{ node: string; child: number }> = [{ node: start, child: 0 }];
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const { node } = frame;
      if (frame.child === 0 && !index.has(node)) {
        index.set(node, index.size);
        low.set(node, index.get(node)!);
        stack.push(node);
        onStack.add(node);
      }
      const children = next.get(node) ?? [];
      if (frame.child < children.length) {
        const child = children[frame.child++]!;
        if (!index.has(child)) work.push({ node: child, child: 0 });
        else if (onStack.has(child)) low.set(node, Math.min(low.get(node)!, index.get(child)!));
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.node, Math.min(low.get(parent.node)!, low.get(node)!));
      if (low.get(node) !== index.get(node)) continue;
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1 || children.includes(node)) found.push(component.sort());
    }
  }
  return found;
}

/** Every rule at once: one line per broken rule, none when the layering holds. */
export function layeringViolations(edges: readonly ImportEdge[]): string[] {
  return [
    ...layerViolations(edges),
    ...switchingViolations(edges),
    ...peerSideViolations(edges),
    ...serverCommandViolations(edges),
    ...cycles(edges).map((component) => `import cycle: ${component.join(' <-> ')}`),
  ];
}
