// famez lab --cluster: two labs, each with one real QEMU guest, joined only
// through nats-server; the guest of one messages the guest of the other, and
// pings it and its own host's switch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Famez } from '../cli/cli.js';
import { waitFor } from '../helpers/fds.js';
import { skipE2e } from '../e2e/harness.js';
import { consoleLog, tableRows, typeOn } from '../lab/lab-guests.js';
import { NatsServer, natsMissing } from './nats-server.js';

test('two famez labs with --cluster: one fabric, a guest on one host messages the guest on the other, which pings it back and its own switch', {
  skip: skipE2e || natsMissing,
  timeout: 400_000,
}, async (t) => {
  const nats = await NatsServer.start(t);
  const scratch = mkdtempSync(path.join(tmpdir(), 'famez-cluster-lab-'));
  t.after(() => rmSync(scratch, { recursive: true, force: true }));
  const labs = ['east', 'west'].map((node) => ({
    dir: path.join(scratch, node),
    famez: new Famez(t, [
      'lab',
      '-n',
      '1',
      '--tcg',
      '--dir',
      path.join(scratch, node),
      '--cluster',
      nats.url,
      '--cluster-name',
      'labs',
      '--node',
      node,
    ]),
  }));
  for (const lab of labs) await lab.famez.line(/^chat with them: .*\bchat -S /, 300_000);
  // The table says which host; the guests' names are unique across the cluster (host-lab1).
  const [east, west] = labs.map((lab) => tableRows(lab.famez.stdout)[0]!) as [string[], string[]];
  assert.deepEqual([east[1], east[2], west[1], west[2]], ['east', 'east-lab1', 'west', 'west-lab1']);
  assert.notEqual(east[0], west[0], 'the two guests have different ports (ids unique across the cluster)');
  assert.equal(Number(east[3]), Number(east[0]) * 100, 'CID from the global id');
  for (const lab of labs)
    assert.ok(
      lab.famez.stdout.some((line) => /famez lab: host (east|west) joined the fabric/.test(line)),
      'the lab says when the other host joins',
    );

  // Until the east guest has heard of the west one, a send is refused in its console: try until it goes.
  await waitFor(
    async () => {
      // By name: west-lab1 is west-lab1@west on east.
      await typeOn(path.join(labs[0]!.dir, 'east-lab1.console'), 'send west-lab1 hello across hosts');
      await new Promise((resolve) => setTimeout(resolve, 1000));
      return /famez: from \d+ \(east-lab1@east\): hello across hosts/.test(consoleLog(labs[1]!.dir, 'west-lab1'));
    },
    () =>
      `the west guest to get the message; east: ${consoleLog(labs[0]!.dir, 'east-lab1').slice(-600)} west: ${consoleLog(labs[1]!.dir, 'west-lab1').slice(-600)}`,
    60_000,
    100,
  );

  // The west guest pings the east one across hosts, then its own host's switch: a pong from each.
  const eastId = east[0]!;
  const westConsole = path.join(labs[1]!.dir, 'west-lab1.console');
  const pongs = (): string[] =>
    [...consoleLog(labs[1]!.dir, 'west-lab1').matchAll(/famez: from (\d+) \([^)]*\): pong/g)].map((match) => match[1]!);
  await typeOn(westConsole, `ping ${eastId}`);
  await waitFor(
    () => pongs().includes(eastId),
    () => `a pong from the east guest; west: ${consoleLog(labs[1]!.dir, 'west-lab1').slice(-600)}`,
    30_000,
    100,
  );
  await typeOn(westConsole, 'ping server');
  await waitFor(
    () => pongs().some((id) => id !== eastId),
    () => `a pong from the west switch; west: ${consoleLog(labs[1]!.dir, 'west-lab1').slice(-600)}`,
    30_000,
    100,
  );

  for (const lab of labs) lab.famez.child.kill('SIGTERM');
  for (const lab of labs) assert.equal((await lab.famez.exit(60_000)).code, 0);
});
