// Names that say where: qualified names for peers of other hosts, and which
// peers a name picks (the chat and the guest agent follow the same rule).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { peersNamed, qualifiedName, severalNamed } from '../../src/fabric/peer-names.js';

test('a remote peer is NAME@HOST, cut to a slot; a peer without a name stays without', () => {
  assert.equal(qualifiedName('lab1', 'west'), 'lab1@west');
  assert.equal(qualifiedName('', 'west'), '');
  assert.equal(qualifiedName('a-rather-long-nodename', 'a-long-host-name'), 'a-rather-long-nodename@a-long-h');
});

test('a name picks its whole name and its name before @: several are refused, listed', () => {
  const peers = [
    { id: 1, nodename: 'lab1' },
    { id: 2, nodename: 'lab2' },
    { id: 4, nodename: 'lab1@west' },
    { id: 5, nodename: 'lab10@west' },
  ];
  assert.deepEqual(
    peersNamed(peers, 'lab2').map((p) => p.id),
    [2],
  );
  assert.deepEqual(
    peersNamed(peers, 'lab1@west').map((p) => p.id),
    [4],
  );
  assert.deepEqual(
    peersNamed(peers, 'lab1').map((p) => p.id),
    [1, 4],
  );
  assert.deepEqual(peersNamed(peers, 'lab'), []);
  assert.equal(
    severalNamed('lab1', peersNamed(peers, 'lab1')),
    '"lab1" names 2 peers: lab1 (1), lab1@west (4): give the name with its @host, or the id',
  );
});
