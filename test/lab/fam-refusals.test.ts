// --fam-as without booting anything: the devices famez qemu-args and famez
// libvirt-xml print (the lab's own, libvirt's schema takes them), and what the
// lab refuses with one line before it makes anything: CXL memory under 256 MiB,
// a FILE the lab did not make (the guests would format it), a FILE made for the
// other mode, a CXL FILE whose label area is gone, --plain.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { famez, famezAsync } from '../cli/cli.js';
import { tempDir } from '../server/helpers.js';
import { famArgs } from '../../src/lab/fam.js';
import { vmArgs } from '../../src/lab/vm-args.js';

test('famez qemu-args --fam --fam-as: the devices the lab gives its guests, the machine options with them', () => {
  const cxl = famez(['qemu-args', 'fabric', '--fam', '256M:/data/fam.img', '--fam-as', 'cxl', '--form', 'fam']);
  assert.equal(cxl.status, 0, cxl.stderr);
  const line = cxl.stdout.trim().split('\n').at(-1)!;
  assert.equal(
    line,
    ['-machine', 'cxl=on', ...famArgs({ size: 256 * 1024 ** 2, path: '/data/fam.img', as: 'cxl' })].join(' '),
  );
  for (const part of ['share=on', 'align=2M', 'mem-path=/data/fam.img.label', 'cxl-rp,port=1', 'sn=0x46414d455a'])
    assert.ok(line.includes(part), `${line} has ${part}`);
  // The lab's guests get the same words.
  const vm = vmArgs({
    name: 'lab1',
    kernel: 'k',
    initrd: 'i',
    accel: 'tcg',
    console: 'c',
    log: 'l',
    device: { name: 'ivshmsg', socketPath: 's', vectors: 16, size: 8192, protocol: 'qemu' },
    fam: { size: 64 * 1024 ** 2, path: '/data/fam.img', as: 'nvdimm' },
    famFirst: 'lab1',
  }).join(' ');
  assert.ok(vm.includes(famArgs({ size: 64 * 1024 ** 2, path: '/data/fam.img', as: 'nvdimm' }).join(' ')));
  assert.match(vm, /-machine q35,accel=tcg,nvdimm=on -cpu max -m 256M,slots=2,maxmem=\d+ /);
  assert.match(vm, /famez\.fam=nvdimm famez\.fam\.first=lab1/);
  const all = famez(['qemu-args', '--fam', '64M:/data/fam.img', '--fam-as', 'nvdimm']);
  assert.match(all.stdout, /# QEMU >= 2\.5/);
  assert.match(all.stdout, /-m RAM,slots=2,maxmem=RAM\+64MiB\n.*\n-machine nvdimm=on -object memory-backend-file/);
});

const found = (program: string): boolean => spawnSync('sh', ['-c', `command -v ${program}`]).status === 0;

test("famez libvirt-xml --fam-as: <memory model='nvdimm'>, QEMU's options passed through for cxl, libvirt's schema takes both", {
  skip: found('virt-xml-validate') ? false : 'virt-xml-validate not found (Debian: apt-get install libvirt-clients)',
}, (t) => {
  const dir = tempDir(t);
  for (const mode of ['nvdimm', 'cxl', 'ivshmem']) {
    const xml = famez(['libvirt-xml', '--fam', '256M:/data/fam.img', '--fam-as', mode, '--form', 'fam']);
    assert.equal(xml.status, 0, xml.stderr);
    assert.match(xml.stdout, mode === 'nvdimm' ? /<memory model='nvdimm' access='shared'>/ : /<qemu:commandline /);
    const devices = mode === 'nvdimm' ? xml.stdout : '';
    const domain = path.join(dir, `${mode}.xml`);
    writeFileSync(
      domain,
      `<domain type='kvm'>
  <name>famez-${mode}</name>
  <maxMemory slots='2' unit='MiB'>1024</maxMemory>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
  <cpu><numa><cell id='0' cpus='0' memory='256' unit='MiB'/></numa></cpu>
  <devices>
${devices}  </devices>
${mode === 'nvdimm' ? '' : xml.stdout}</domain>
`,
    );
    const checked = spawnSync('virt-xml-validate', [domain, 'domain'], { encoding: 'utf8' });
    assert.equal(checked.status, 0, `${mode}:\n${xml.stdout}\n${checked.stdout}${checked.stderr}`);
  }
});

test('CXL memory under 256 MiB is refused in one line by the lab, qemu-args and libvirt-xml; nothing is made', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'fam.img');
  const line = `--fam-as cxl needs at least 256 MiB (CXL memory comes in 256 MiB units), not 128 MiB: give --fam 256M:${file}\n`;
  const lab = await famezAsync(['lab', '--fam', `100M:${file}`, '--fam-as', 'cxl', '--dir', path.join(dir, 's')]);
  assert.deepEqual([lab.status, lab.stderr], [2, `famez lab: ${line}`]);
  for (const command of ['qemu-args', 'libvirt-xml']) {
    const r = famez([command, '--fam', `128M:${file}`, '--fam-as', 'cxl']);
    assert.deepEqual([r.status, r.stderr], [2, `famez ${command}: ${line}`]);
  }
  assert.deepEqual(readdirSync(dir), []);
  const noFam = famez(['qemu-args', '--fam-as', 'nvdimm']);
  assert.deepEqual([noFam.status, noFam.stderr], [2, 'famez qemu-args: --fam-as nvdimm needs --fam SIZE[:FILE]\n']);
});

test('a FILE the lab did not make, made for the other mode, or without its label area is refused in one line and left as it was', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'fam.img');
  const state = path.join(dir, 'state');
  writeFileSync(file, 'the user data');
  truncateSync(file, 256 * 1024 ** 2);
  const lab = (mode: string) =>
    famezAsync(['lab', '--tcg', '--fam', `256M:${file}`, '--fam-as', mode, '--dir', state], 30_000);
  for (const mode of ['nvdimm', 'cxl']) {
    const r = await lab(mode);
    assert.deepEqual(
      [r.status, r.stderr],
      [
        1,
        `famez lab: --fam-as ${mode}: ${file} exists and the lab did not make it (no ${file}.famez): the guests would format it; name a new FILE, or remove it\n`,
      ],
    );
  }
  assert.equal(readFileSync(file).subarray(0, 13).toString(), 'the user data');
  writeFileSync(`${file}.famez`, 'made by famez lab for --fam-as nvdimm\n', { mode: 0o600 });
  const other = await lab('cxl');
  assert.deepEqual(
    [other.status, other.stderr],
    [
      1,
      `famez lab: ${file} was made by the lab for --fam-as nvdimm, not cxl: give --fam-as nvdimm, or name a new FILE\n`,
    ],
  );
  writeFileSync(`${file}.famez`, 'made by famez lab for --fam-as cxl\n', { mode: 0o600 });
  const label = await lab('cxl');
  assert.equal(label.status, 1);
  assert.equal(
    label.stderr,
    `famez lab: ${file}.label, the label area of ${file}, is missing: without it the data cannot be found; remove ${file} and ${file}.famez to start anew\n`,
  );
  const plain = await famezAsync(['lab', '--plain', '--fam', `256M:${file}`, '--fam-as', 'cxl', '--dir', state]);
  assert.deepEqual(
    [plain.status, plain.stderr],
    [
      1,
      "famez lab: --fam-as cxl needs the lab's own fabric (its guests agree over it which one formats the memory): drop --plain, or use --fam-as ivshmem\n",
    ],
  );
  assert.equal(readFileSync(file).subarray(0, 13).toString(), 'the user data');
  assert.equal(existsSync(state), false, 'no state directory made');
  rmSync(`${file}.famez`);
});
