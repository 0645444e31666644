// famez libvirt-xml's elements are what libvirt takes: each passes libvirt's own
// schema (virt-xml-validate, Debian's libvirt-clients) inside a domain, and no
// shmem size is below the 1 MiB libvirt's QEMU driver requires.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { famez } from '../cli/cli.js';
import { tempDir } from '../server/helpers.js';

const found = (program: string): boolean => spawnSync('sh', ['-c', `command -v ${program}`]).status === 0;
const skip =
  found('virt-xml-validate') && found('xmllint')
    ? false
    : 'virt-xml-validate or xmllint not found (Debian: apt-get install libvirt-clients libxml2-utils)';

const CASES: string[][] = [
  [],
  ['server', '-S', "/run/famez/a'b.sock", '-M', 'famez', '-l', '64M', '-n', '4'],
  ['fabric', '-n', '4'],
  ['fabric', '-n', '14', '-S', '/run/famez/fabric.sock'],
  ['-l', '64K'],
  ['-f', '/data/fam.img', '-l', '1G'],
];

/** The sizes in bytes of every <size> element. */
function sizes(xml: string): number[] {
  const scale: Record<string, number> = { b: 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };
  return [...xml.matchAll(/<size unit='(\w+)'>(\d+)<\/size>/g)].map(([, unit, n]) => Number(n) * scale[unit!]!);
}

test("famez libvirt-xml passes libvirt's schema, and every shmem size is at least 1 MiB", {
  skip,
  timeout: 60_000,
}, (t) => {
  const dir = tempDir(t);
  for (const [i, args] of CASES.entries()) {
    const printed = famez(['libvirt-xml', ...args]);
    assert.equal(printed.status, 0, printed.stderr);
    for (const size of sizes(printed.stdout))
      assert.ok(size >= 1024 ** 2, `famez libvirt-xml ${args.join(' ')}: size ${size}`);
    const domain = join(dir, `domain-${i}.xml`);
    writeFileSync(
      domain,
      `<domain type='kvm'>
  <name>famez-${i}</name>
  <memory unit='MiB'>256</memory>
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
  <devices>
${printed.stdout}  </devices>
</domain>
`,
    );
    const checked = spawnSync('virt-xml-validate', [domain, 'domain'], { encoding: 'utf8' });
    assert.equal(
      checked.status,
      0,
      `famez libvirt-xml ${args.join(' ')}:\n${printed.stdout}\n${checked.stdout}${checked.stderr}`,
    );
  }
  // The memory alone needs 1 MiB: below, the plain form is not offered, and asked for it is refused.
  assert.doesNotMatch(famez(['libvirt-xml', '-l', '64K']).stdout, /ivshmem-plain/);
  const plain = famez(['libvirt-xml', '-l', '64K', '--form', 'plain']);
  assert.equal(plain.status, 2);
  assert.match(
    plain.stderr,
    /no ivshmem-plain form: libvirt refuses shmem smaller than 1 MiB \(this memory has 65536 bytes\): serve at least -l 1M/,
  );
});
