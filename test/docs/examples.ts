// The commands the README and docs/*.md show, read from the markdown as
// written: each line of a ```sh block (with its `\` continuations), and each
// `$ ` line of an output block with the output it shows. Every one is either
// run by examples.test.ts or excluded here with the reason.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Example {
  /** Where: file:line. */
  at: string;
  command: string;
  /** The output the doc shows (output blocks only). */
  expected?: string;
}

export type How =
  /** A console (chat, client) run as a script against a fresh fabric or server: status 0. */
  | { kind: 'console'; on: 'fabric' | 'server' }
  /** A server or fabric: it must say it listens, and stop cleanly on SIGTERM. */
  | { kind: 'service' }
  /** A command whose whole output the doc shows (a chat's against a fresh fabric). */
  | { kind: 'output'; on?: 'fabric' }
  | { kind: 'excluded'; why: string };

const RULES: [RegExp, How][] = [
  [
    /^npm /,
    {
      kind: 'excluded',
      why: 'builds, tests or packs famez itself: CI runs npm ci and npm test; test/install the tarball',
    },
  ],
  [/^qemu-system/, { kind: 'excluded', why: 'a QEMU guest: test/e2e/qemu.test.ts attaches one the same way' }],
  [
    /famez lab|^socat .*\.console/,
    { kind: 'excluded', why: 'boots QEMU guests: test/lab/lab.test.ts runs famez lab and its consoles' },
  ],
  [
    /^nats-server|--cluster/,
    { kind: 'excluded', why: 'needs a NATS server: test/cluster runs the cluster examples with one' },
  ],
  [
    /^cp node_modules|^systemctl|^systemd-socket-activate/,
    { kind: 'excluded', why: 'installs systemd units (root, systemd): test/lab/socket-activation.test.ts' },
  ],
  [/^curl /, { kind: 'excluded', why: 'a fault over HTTP on a switched fabric with a trunk: test/web covers it' }],
  [/-m \/dev\/hugepages/, { kind: 'excluded', why: 'needs a mounted hugetlbfs' }],
  [
    /--socket-group kvm --allow-uid libvirt-qemu/,
    { kind: 'excluded', why: "needs a libvirt host's kvm group and libvirt-qemu user" },
  ],
  [/^\$ famez (qemu-args|libvirt-xml)/, { kind: 'output' }],
  [/^\$ famez chat/, { kind: 'output', on: 'fabric' }],
  [/(^|\| )(npx )?famez chat/, { kind: 'console', on: 'fabric' }],
  [/(^|\| )(npx )?famez client/, { kind: 'console', on: 'server' }],
  [/^(npx )?famez (server|fabric)/, { kind: 'service' }],
];

export function howToRun(example: Example): How | undefined {
  const text = example.expected === undefined ? example.command : `$ ${example.command}`;
  return RULES.find(([pattern]) => pattern.test(text))?.[1];
}

/** A shell line without its comment (`  # ...` after the command). */
function uncommented(line: string): string {
  return line.replace(/\s+# .*$/, '').trim();
}

export function docExamples(repo: string): Example[] {
  const files = [
    'README.md',
    ...readdirSync(join(repo, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => `docs/${f}`),
  ];
  const examples: Example[] = [];
  for (const file of files) {
    const lines = readFileSync(join(repo, file), 'utf8').split('\n');
    for (let i = 0; i < lines.length; i++) {
      const fence = /^```(\w*)$/.exec(lines[i]!);
      if (!fence) continue;
      const start = i + 1;
      let end = start;
      while (end < lines.length && lines[end] !== '```') end++;
      const block = lines.slice(start, end);
      if (fence[1] === 'sh') {
        for (let j = 0; j < block.length; j++) {
          let command = uncommented(block[j]!);
          const first = j;
          while (command.endsWith('\\') && j + 1 < block.length)
            command = `${command.slice(0, -1)} ${uncommented(block[++j]!)}`;
          if (command !== '' && !command.startsWith('#'))
            examples.push({ at: `${file}:${start + first + 1}`, command });
        }
      } else if (fence[1] === '') {
        block.forEach((line, j) => {
          if (!line.startsWith('$ ')) return;
          const next = block.findIndex((other, k) => k > j && other.startsWith('$ '));
          const output = block.slice(j + 1, next < 0 ? undefined : next);
          examples.push({ at: `${file}:${start + j + 1}`, command: line.slice(2), expected: `${output.join('\n')}\n` });
        });
      }
      i = end;
    }
  }
  return examples;
}
