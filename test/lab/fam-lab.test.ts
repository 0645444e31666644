// famez lab --fam-as nvdimm and --fam-as cxl with two real guests each: lab1
// formats, lab2 sets up on its word; `fam write 0 hello` on lab1 is read by
// `fam read 0 5` on lab2; the bytes sit 2 MiB into FILE on the host; `fam info`
// names the device, region, namespace UUID and size, the table and the page's
// topology how each guest maps it; a lab started again on
// FILE finds the label and the data as they were (lab1 formats nothing).
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Famez } from '../cli/cli.js';
import { waitFor } from '../helpers/fds.js';
import { skipE2e } from '../e2e/harness.js';
import { DAX_DATA_OFFSET } from '../../src/lab/fam.js';
import { consoleLog, tableRows, typeOn } from './lab-guests.js';

const MiB = 1024 ** 2;

/** Waits for a line of guest `name`'s console matching `pattern` (after `from` characters of it); its match. */
async function consoleLine(dir: string, name: string, pattern: RegExp, from = 0): Promise<RegExpExecArray> {
  return waitFor(
    () => pattern.exec(consoleLog(dir, name).slice(from)) ?? undefined,
    () => `${pattern} on ${name}: ${consoleLog(dir, name).slice(-1500)}`,
    60_000,
    50,
  );
}

function bytesAt(file: string, offset: number, length: number): string {
  const fd = openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, offset);
    return buffer.toString('latin1');
  } finally {
    closeSync(fd);
  }
}

/** Starts a lab of two guests on `file` as `mode`; resolves once it printed its table and stop line. */
async function startLab(t: TestContext, dir: string, file: string, mode: string, size: string): Promise<Famez> {
  const lab = new Famez(t, [
    ...['lab', '-n', '2', '--tcg', '--fam', `${size}:${file}`, '--fam-as', mode, '--dir', dir, '--http', '0'],
  ]);
  // The first run builds initrd-dax.gz (fetches the kernel package and ndctl's).
  await lab.line(/^stop: Ctrl-C, or /, 500_000);
  return lab;
}

async function stopLab(lab: Famez): Promise<void> {
  lab.child.kill('SIGINT');
  assert.deepEqual(await lab.exit(60_000), { code: 0, signal: null });
}

const INFO =
  /famez: fam ready (\w+) how=(\w+) device=(\S+) region=(\S+) namespace=(\S+) uuid=([0-9a-f-]{36}) size=(\d+)/;

for (const [mode, size, bytes] of [
  ['nvdimm', '64M', 64 * MiB],
  ['cxl', '256M', 256 * MiB],
] as const) {
  test(`famez lab --fam-as ${mode}: one guest writes, the other reads, the bytes 2 MiB into FILE, kept across a restart`, {
    skip: skipE2e,
    timeout: 900_000,
  }, async (t) => {
    const scratch = mkdtempSync(path.join(tmpdir(), `famez-fam-${mode}-`));
    t.after(() => rmSync(scratch, { recursive: true, force: true }));
    const dir = path.join(scratch, 'state');
    const file = path.join(scratch, 'fam.img');
    const lab = await startLab(t, dir, file, mode, size);

    // Both guests map it, as the table says; lab1 formatted, lab2 found the same namespace.
    const rows = tableRows(lab.stdout);
    assert.deepEqual(rows.map((row) => [row[1], row[4], row[6]]).sort(), [
      ['lab1', mode, '/dev/dax0.0'],
      ['lab2', mode, '/dev/dax0.0'],
    ]);
    const first = await consoleLine(dir, 'lab1', INFO);
    const second = await consoleLine(dir, 'lab2', INFO);
    assert.equal(first[2], 'formatted');
    assert.match(second[2]!, /^(found|joined)$/);
    assert.equal(second[6], first[6], 'one namespace');
    assert.equal(Number(first[7]), bytes - DAX_DATA_OFFSET);
    // The page's topology says it too.
    const page = (await lab.line(/^the fabric's page: /)).split(' ').at(-1)!;
    const { nodes } = (await (await fetch(`${page}api/v1/topology`)).json()) as {
      nodes: { nodename?: string; fam?: Record<string, string> }[];
    };
    assert.deepEqual(
      nodes
        .filter((node) => node.fam)
        .map((node) => [node.nodename, node.fam])
        .sort(),
      ['lab1', 'lab2'].map((name, i) => [
        name,
        { as: mode, device: '/dev/dax0.0', region: [first, second][i]![4], file },
      ]),
    );

    // lab1 writes, lab2 reads; the host sees the bytes 2 MiB into FILE.
    const written = consoleLog(dir, 'lab1').length;
    await typeOn(path.join(dir, 'lab1.console'), 'fam write 0 hello');
    await consoleLine(dir, 'lab1', /famez: fam wrote 5 bytes at 0/, written);
    const asked = Date.now();
    const read = consoleLog(dir, 'lab2').length;
    await typeOn(path.join(dir, 'lab2.console'), 'fam read 0 5');
    await consoleLine(dir, 'lab2', /famez: fam read 5 at 0: hello/, read);
    const took = Date.now() - asked;
    t.diagnostic(`lab2 read lab1's bytes ${took} ms after it was asked`);
    assert.ok(took < 1000, `lab2 read them within a second (${took} ms)`);
    assert.equal(bytesAt(file, DAX_DATA_OFFSET, 5), 'hello');

    // fam info says the device, region, namespace, UUID and size.
    const info = consoleLog(dir, 'lab2').length;
    await typeOn(path.join(dir, 'lab2.console'), 'fam info');
    const said = await consoleLine(dir, 'lab2', /famez: fam info .*/, info);
    for (const part of [`device=/dev/dax0.0`, `region=${second[4]}`, `namespace=${second[5]}`, `uuid=${first[6]}`])
      assert.ok(said[0].includes(part), `${said[0]} says ${part}`);
    await stopLab(lab);

    // Started again: the label and the data are as they were.
    const again = await startLab(t, dir, file, mode, size);
    const found = await consoleLine(dir, 'lab1', INFO);
    assert.equal(found[2], 'found', 'lab1 formats nothing the second time');
    assert.equal(found[6], first[6]);
    await typeOn(path.join(dir, 'lab2.console'), 'fam read 0 5');
    await consoleLine(dir, 'lab2', /famez: fam read 5 at 0: hello/);
    await stopLab(again);
  });
}
