// Topology, fabric files, routing and faults with plain data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FabricFileError, parseFabricFile, topologyFromJson } from '../../src/switching/fabric-file.js';
import { firstUp, kShortestPaths, partitions } from '../../src/switching/routing.js';
import { attachmentOf, singleSwitch, type SwitchLink } from '../../src/switching/topology.js';
import { faultNotice, FaultError, FaultState, parseFaultCommand } from '../../src/switching/faults.js';
import { TokenBucket } from '../../src/switching/token-bucket.js';
import { mulberry32, survivors } from '../../src/switching/prng.js';

const link = (name: string, a: string, b: string, latencyUs: number): SwitchLink => ({ name, a, b, latencyUs });
// s1 - s2 - s4 (10 + 10), s1 - s3 - s4 (5 + 30), s1 - s4 direct (50), a parallel s1 = s2 (15)
const LINKS = [
  link('a', 's1', 's2', 10),
  link('b', 's2', 's4', 10),
  link('c', 's1', 's3', 5),
  link('d', 's3', 's4', 30),
  link('e', 's1', 's4', 50),
  link('a2', 's1', 's2', 15),
];

test('k shortest paths: in latency order, parallel links distinct, latencies summed, loopless', () => {
  const paths = kShortestPaths(LINKS, 's1', 's4', 4);
  assert.deepEqual(
    paths.map((p) => [p.links.join(','), p.latencyUs]),
    [
      ['a,b', 20],
      ['a2,b', 25],
      ['c,d', 35],
      ['e', 50],
    ],
  );
  assert.deepEqual(paths[0]!.switches, ['s1', 's2', 's4']);
  assert.equal(kShortestPaths(LINKS, 's1', 's4', 10).length, 4, 'there are only four loopless paths');
  assert.deepEqual(
    kShortestPaths(LINKS, 's2', 's2', 3),
    [{ switches: ['s2'], links: [], latencyUs: 0 }],
    'the same switch: an empty path',
  );
  assert.deepEqual(kShortestPaths(LINKS, 's1', 'nowhere', 3), []);
});

test('reroute: a link down moves traffic to the next path; all down is a partition', () => {
  const paths = kShortestPaths(LINKS, 's1', 's4', 4);
  const down = new Set<string>();
  const up = (name: string): boolean => !down.has(name);
  assert.equal(firstUp(paths, up)!.links.join(','), 'a,b');
  down.add('b');
  assert.equal(firstUp(paths, up)!.links.join(','), 'c,d');
  assert.equal(firstUp(paths, up)!.latencyUs, 35);
  down.add('d');
  assert.equal(firstUp(paths, up)!.links.join(','), 'e');
  down.add('e');
  assert.equal(firstUp(paths, up), undefined, 'no path up');
  assert.deepEqual(partitions(['s1', 's2', 's3', 's4'], LINKS, up), [['s1', 's2', 's3'], ['s4']]);
  assert.deepEqual(
    partitions(['s1', 's2', 's3', 's4'], LINKS, () => true),
    [['s1', 's2', 's3', 's4']],
  );
});

test('a fabric file of two switches: links named or not, peers by id and by nodename, defaults', () => {
  const topology = parseFabricFile(
    JSON.stringify({
      switches: ['left', 'right'],
      links: [
        { name: 'trunk', between: ['left', 'right'], latencyUs: 100 },
        { between: ['left', 'right'], latencyUs: 400 },
      ],
      peers: [
        { id: 1, switch: 'left', port: 1 },
        { nodename: 'z02', switch: 'right', port: 1, latencyUs: 5 },
      ],
    }),
  );
  assert.deepEqual(
    topology.links.map((l) => l.name),
    ['trunk', 'left-right'],
  );
  assert.equal(topology.paths, 4);
  assert.deepEqual(attachmentOf(topology, 1), { id: 1, switch: 'left', port: 1, latencyUs: 0 });
  assert.deepEqual(attachmentOf(topology, 2, 'z02'), { nodename: 'z02', switch: 'right', port: 1, latencyUs: 5 });
  assert.deepEqual(
    attachmentOf(topology, 7),
    { id: 7, switch: 'left', port: 7, latencyUs: 0 },
    'unlisted: the first switch',
  );
  assert.deepEqual(attachmentOf(singleSwitch(), 3).switch, 'switch');
});

test('a bad fabric file is refused with the field and the reason', () => {
  const bad: [unknown, string, RegExp][] = [
    [{}, 'switches', /must be an array/],
    [{ switches: [] }, 'switches', /at least one/],
    [{ switches: ['a', 'a'] }, 'switches[1]', /named twice/],
    [{ switches: ['a b'] }, 'switches[0]', /name of 1 to 32/],
    [{ switches: ['a'], extra: 1 }, '(file).extra', /unknown field/],
    [{ switches: ['a', 'b'], links: [{ between: ['a', 'c'] }] }, 'links[0].between[1]', /no switch "c"/],
    [{ switches: ['a', 'b'], links: [{ between: ['a', 'a'] }] }, 'links[0].between', /itself/],
    [{ switches: ['a', 'b'], links: [{ between: ['a'] }] }, 'links[0].between', /two switches/],
    [{ switches: ['a', 'b'], links: [{ between: ['a', 'b'], latencyUs: -1 }] }, 'links[0].latencyUs', /microseconds/],
    [
      { switches: ['a', 'b'], links: [{ between: ['a', 'b'] }, { between: ['b', 'a'], name: 'a-b' }] },
      'links[1].name',
      /second link/,
    ],
    [{ switches: ['a'], peers: [{ switch: 'a', port: 1 }] }, 'peers[0]', /id or a nodename/],
    [{ switches: ['a'], peers: [{ id: 1, nodename: 'x', switch: 'a', port: 1 }] }, 'peers[0]', /id or a nodename/],
    [{ switches: ['a'], peers: [{ id: 70000, switch: 'a', port: 1 }] }, 'peers[0].id', /0 to 65535/],
    [
      {
        switches: ['a'],
        peers: [
          { id: 1, switch: 'a', port: 1 },
          { id: 2, switch: 'a', port: 1 },
        ],
      },
      'peers[1].port',
      /given twice/,
    ],
    [
      {
        switches: ['a'],
        peers: [
          { id: 1, switch: 'a', port: 1 },
          { id: 1, switch: 'a', port: 2 },
        ],
      },
      'peers[1].id',
      /given twice/,
    ],
    [{ switches: ['a'], paths: 0 }, 'paths', /1 to 16/],
  ];
  for (const [json, field, reason] of bad) {
    assert.throws(
      () => topologyFromJson(json),
      (error: unknown) => {
        assert.ok(error instanceof FabricFileError, String(error));
        assert.equal(error.field, field, JSON.stringify(json));
        assert.match(error.message, reason);
        return true;
      },
    );
  }
  assert.throws(() => parseFabricFile('{ switches: '), /\(file\): not JSON/);
});

test('fault commands: parsed from console lines, checked, summed into a state, told as UEP messages', () => {
  assert.deepEqual(parseFaultCommand('link down trunk'), { kind: 'link', link: 'trunk', up: false });
  assert.deepEqual(parseFaultCommand('isolate 3'), { kind: 'link', link: 'peer:3', up: false });
  assert.deepEqual(parseFaultCommand('rejoin 3'), { kind: 'link', link: 'peer:3', up: true });
  assert.deepEqual(parseFaultCommand('latency trunk 500'), { kind: 'latency', link: 'trunk', us: 500 });
  assert.deepEqual(parseFaultCommand('drop trunk 0.1'), { kind: 'drop', link: 'trunk', probability: 0.1 });
  assert.deepEqual(parseFaultCommand('rate trunk 1000'), {
    kind: 'rate',
    link: 'trunk',
    rate: { perSecond: 1000, burst: 100 },
  });
  assert.deepEqual(parseFaultCommand('rate trunk 1000 5'), {
    kind: 'rate',
    link: 'trunk',
    rate: { perSecond: 1000, burst: 5 },
  });
  assert.deepEqual(parseFaultCommand('rate trunk off'), { kind: 'rate', link: 'trunk' });
  assert.deepEqual(parseFaultCommand('clear'), { kind: 'clear', link: undefined });
  assert.equal(parseFaultCommand('dump'), undefined);
  for (const line of [
    'drop trunk 2',
    'drop trunk x',
    'latency trunk -5',
    'link sideways trunk',
    'isolate -1',
    'rate trunk 0',
    'link down',
  ]) {
    assert.throws(() => parseFaultCommand(line), FaultError, line);
  }
  const state = new FaultState();
  state.apply({ kind: 'link', link: 'trunk', up: false });
  state.apply({ kind: 'drop', link: 'trunk', probability: 0.5 });
  state.apply({ kind: 'latency', link: 'peer:2', us: 7 });
  assert.equal(state.isUp('trunk'), false);
  state.apply({ kind: 'link', link: 'trunk', up: true });
  assert.deepEqual(state.entries(), [
    ['peer:2', { addedUs: 7 }],
    ['trunk', { dropProbability: 0.5 }],
  ]);
  state.apply({ kind: 'latency', link: 'peer:2', us: 0 });
  state.apply({ kind: 'clear', link: 'trunk' });
  assert.deepEqual(state.entries(), []);
  assert.equal(faultNotice({ kind: 'link', link: 'trunk', up: false }), 'UEP Link-Down Link=trunk');
  assert.equal(
    faultNotice({ kind: 'rate', link: 'peer:3', rate: { perSecond: 10, burst: 2 } }),
    'UEP Link-Rate Link=peer:3,PerSecond=10,Burst=2',
  );
  assert.equal(faultNotice({ kind: 'clear' }), 'UEP Faults-Cleared');
});

test('token bucket: a burst at once, then the rate; the PRNG replays from its seed', () => {
  const bucket = new TokenBucket(100, 10, 0);
  assert.equal(bucket.take(15, 0), 10, 'the burst');
  assert.equal(bucket.take(15, 50), 5, '50 ms at 100/s');
  assert.equal(bucket.take(15, 50), 0);
  assert.equal(bucket.take(100, 10_000), 10, 'never more than the burst saved up');
  const [x, y] = [mulberry32(7), mulberry32(7)];
  assert.deepEqual([x(), x(), x()], [y(), y(), y()]);
  assert.equal(survivors(1000, 1, mulberry32(1)), 1000);
  assert.equal(survivors(1000, 0, mulberry32(1)), 0);
});
