// The layering of src/ (docs/layout.md): nothing lower imports anything higher,
// src/switching takes only the policy interface from src/server, the fabric's
// peer side loads nothing of its host side, famez server loads nothing of
// src/fabric, and there is no import cycle.
// The rules are tried on planted edges first, so that a rule that could not
// fail would show.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { importGraph, importsOf, type ImportEdge } from './import-graph.js';
import {
  cycles,
  layeringViolations,
  layerViolations,
  peerSideViolations,
  POLICY_INTERFACE,
  serverCommandViolations,
  switchingViolations,
} from './rules.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

const edge = (from: string, to: string, typeOnly = false): ImportEdge => ({ from, to, typeOnly });

test('src/ keeps its layers: no upward or sideways import, switching takes only the policy interface, the peer side no host, famez server no fabric, no cycle', {
  timeout: 30_000,
}, () => {
  const edges = importGraph(ROOT);
  assert.ok(
    edges.some((e) => e.from === 'src/switching/router.ts' && e.to === POLICY_INTERFACE),
    'the graph was read (router -> forwarding policy)',
  );
  assert.deepEqual(layeringViolations(edges), []);
});

test('the import reader: import, import type, export from, import() and import("x").T, relative or not', {
  timeout: 5_000,
}, () => {
  const text = [
    "import { a } from './a.js';",
    "import type { B } from '../b.js';",
    "import { type C, type D } from './cd.js';",
    "import { type E, f } from './ef.js';",
    "import './effects.js';",
    "import * as sys from '../sys/index.js';",
    "import { readFileSync } from 'node:fs';",
    "export { g } from './g.js';",
    "export type { H } from './h.js';",
    "export * from './all.js';",
    "const lazy = async () => (await import('./lazy.js')).run;",
    "let t: import('./t.js').T;",
  ].join('\n');
  assert.deepEqual(importsOf('x.ts', text), [
    { specifier: './a.js', typeOnly: false },
    { specifier: '../b.js', typeOnly: true },
    { specifier: './cd.js', typeOnly: true },
    { specifier: './ef.js', typeOnly: false },
    { specifier: './effects.js', typeOnly: false },
    { specifier: '../sys/index.js', typeOnly: false },
    { specifier: 'node:fs', typeOnly: false },
    { specifier: './g.js', typeOnly: false },
    { specifier: './h.js', typeOnly: true },
    { specifier: './all.js', typeOnly: false },
    { specifier: './lazy.js', typeOnly: false },
    { specifier: './t.js', typeOnly: true },
  ]);
});

test('the graph of a planted tree: relative specifiers become the .ts files they name, packages are left out', {
  timeout: 5_000,
}, (t) => {
  const root = mkdtempSync(join(tmpdir(), 'famez-layering-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'src', 'server'), { recursive: true });
  mkdirSync(join(root, 'src', 'fabric'));
  writeFileSync(
    join(root, 'src', 'server', 'server.ts'),
    "import { x } from '../fabric/x.js';\nimport { EventEmitter } from 'node:events';\n",
  );
  writeFileSync(join(root, 'src', 'fabric', 'x.ts'), "export type { Y } from './y.js';\n");
  writeFileSync(join(root, 'src', 'fabric', 'types.d.ts'), "import './ignored.js';\n");
  const edges = importGraph(root);
  assert.deepEqual(edges, [
    edge('src/fabric/x.ts', 'src/fabric/y.ts', true),
    edge('src/server/server.ts', 'src/fabric/x.ts'),
  ]);
  assert.deepEqual(layerViolations(edges), [
    'src/server/server.ts -> src/fabric/x.ts: src/server is below src/fabric ' +
      '(sys < protocol < memory < server/client < mailbox < switching < fabric < cluster < web < lab < cli)',
  ]);
});

test('the layer rule: upward and sideways edges and unknown folders fail; downward, same-folder and the package index pass', {
  timeout: 5_000,
}, () => {
  assert.deepEqual(
    layerViolations([
      edge('src/fabric/a.ts', 'src/server/index.ts'),
      edge('src/web/a.ts', 'src/switching/index.ts', true),
      edge('src/fabric/a.ts', 'src/fabric/b.ts'),
      edge('src/index.ts', 'src/cli/main.ts'),
      edge('src/cli/main.ts', 'src/sys/index.ts'),
    ]),
    [],
  );
  const planted = layerViolations([
    edge('src/server/server.ts', 'src/fabric/index.ts'),
    edge('src/switching/router.ts', 'src/fabric/peer.ts', true),
    edge('src/client/client.ts', 'src/server/ids.ts'),
    edge('src/sys/native.ts', 'src/protocol/message.ts'),
    edge('src/fabric/a.ts', 'src/extras/b.ts'),
  ]);
  assert.equal(planted.length, 5, planted.join('\n'));
  assert.match(planted[0]!, /^src\/server\/server.ts -> src\/fabric\/index.ts: src\/server is below src\/fabric/);
  assert.match(planted[1]!, /src\/switching is below src\/fabric/);
  assert.match(planted[2]!, /src\/client and src\/server are one layer and stay apart/);
  assert.match(planted[3]!, /src\/sys is below src\/protocol/);
  assert.match(planted[4]!, /src\/extras is in no layer/);
});

test('the switching rule: src/switching may take the policy interface from src/server and nothing else', {
  timeout: 5_000,
}, () => {
  assert.deepEqual(switchingViolations([edge('src/switching/router.ts', POLICY_INTERFACE, true)]), []);
  assert.deepEqual(switchingViolations([edge('src/switching/router.ts', 'src/server/delay-queue.ts')]), [
    `src/switching/router.ts -> src/server/delay-queue.ts: src/switching takes only ${POLICY_INTERFACE} from src/server`,
  ]);
});

test('the peer-side rule: a host file reached through any chain fails, with the chain; shared files pass', {
  timeout: 5_000,
}, () => {
  const shared = [
    edge('src/fabric/peer.ts', 'src/fabric/courier.ts'),
    edge('src/fabric/peer.ts', 'src/client/index.ts'),
    edge('src/cli/chat-command.ts', 'src/fabric/peer.ts'),
  ];
  assert.deepEqual(peerSideViolations(shared), []);
  const planted = peerSideViolations([
    ...shared,
    edge('src/fabric/courier.ts', 'src/fabric/switch.ts', true),
    edge('src/cli/chat-command.ts', 'src/cli/usage.ts'),
    edge('src/cli/usage.ts', 'src/switching/faults.ts'),
  ]);
  assert.deepEqual(planted.map((line) => line.split(':')[0]).sort(), [
    'src/cli/chat-command.ts -> src/cli/usage.ts -> src/switching/faults.ts',
    'src/fabric/peer.ts -> src/fabric/courier.ts -> src/fabric/switch.ts',
  ]);
  assert.equal(planted.length, 2);
});

test('the server-command rule: famez server may not load src/fabric at run time; a type import is no load', {
  timeout: 5_000,
}, () => {
  const typed = [
    edge('src/cli/server-command.ts', 'src/web/index.ts'),
    edge('src/web/index.ts', 'src/web/fabric-source.ts'),
    edge('src/web/fabric-source.ts', 'src/fabric/index.ts', true),
  ];
  assert.deepEqual(serverCommandViolations(typed), []);
  const planted = serverCommandViolations([...typed, edge('src/web/index.ts', 'src/fabric/courier.ts')]);
  assert.deepEqual(planted, [
    'src/cli/server-command.ts -> src/web/index.ts -> src/fabric/courier.ts: famez server loads src/fabric/courier.ts ' +
      '(take what it needs from src/switching or lower)',
  ]);
});

test('the cycle rule: a cycle of any length and a self-import are found, a diamond is not', { timeout: 5_000 }, () => {
  assert.deepEqual(cycles([edge('a', 'b'), edge('a', 'c'), edge('b', 'd'), edge('c', 'd')]), []);
  assert.deepEqual(cycles([edge('a', 'b'), edge('b', 'c'), edge('c', 'a', true), edge('c', 'd'), edge('e', 'e')]), [
    ['a', 'b', 'c'],
    ['e'],
  ]);
  const chain = Array.from({ length: 20_000 }, (_, i) => edge(`f${i}`, `f${i + 1}`));
  assert.deepEqual(cycles(chain), [], 'a long chain does not overflow the stack');
  assert.deepEqual(
    cycles([...chain, edge('f20000', 'f0')]).map((c) => c.length),
    [20_001],
  );
  assert.match(
    layeringViolations([edge('src/fabric/a.ts', 'src/fabric/b.ts'), edge('src/fabric/b.ts', 'src/fabric/a.ts')])[0]!,
    /^import cycle: src\/fabric\/a.ts <-> src\/fabric\/b.ts$/,
  );
});
