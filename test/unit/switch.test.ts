// The switch as a pure state machine, with plain data: ports join and leave,
// messages come in, and the actions it answers with are compared whole.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_SID,
  DRIVERLESS_CCLASS,
  SWITCH_CCLASS,
  Switch,
  type Action,
  type Port,
} from '../../src/fabric/switch.js';

const managing = (): Switch => new Switch({ serverId: 15, mode: 'managing' });
const unmanaged = (): Switch => new Switch({ serverId: 15, mode: 'unmanaged' });

/** The warning texts among `actions`, and nothing else may be there. */
function onlyWarnings(actions: Action[]): string[] {
  for (const action of actions)
    assert.equal(action.type === 'log' && action.level === 'warning', true, `not a warning: ${JSON.stringify(action)}`);
  return actions.map((action) => (action as Extract<Action, { type: 'log' }>).text);
}

test("a managing switch: FAME-Z's smart switch names and ids; a new port is up, Driverless QEMU, already greeted", () => {
  const sw = managing();
  assert.equal(sw.nodename, 'Z-switch');
  assert.equal(sw.cclass, SWITCH_CCLASS);
  assert.equal(SWITCH_CCLASS, 'FabricSwitch');
  assert.equal(DEFAULT_SID, 27);
  assert.equal(sw.cid0, 1500);
  assert.equal(sw.sid0, 27);
  assert.deepEqual(sw.attributes, { cclass: 'FabricSwitch', CID0: 1500, SID0: 27 });
  assert.equal(new Switch({ serverId: 3, mode: 'managing' }).cid0, 300);
  const port = sw.join(3);
  assert.deepEqual(port, {
    id: 3,
    nodename: '',
    cclass: DRIVERLESS_CCLASS,
    cid: 0,
    sid: 0,
    linkState: 'up',
    peerAttributes: {},
    received: 0,
    sent: 0,
    live: false,
    greeted: true,
  });
  assert.equal(DRIVERLESS_CCLASS, 'Driverless QEMU');
  assert.equal(sw.ports.get(3), port);
  assert.deepEqual([...sw.ports.keys()], [3]);
});

test("ping → pong with the request's tracker + 1; pong → nothing; dump → a dump action", () => {
  const sw = managing();
  sw.join(3);
  assert.deepEqual(sw.receive(3, 'ping!EZT=1'), [{ type: 'send', to: 3, body: 'pong', tracker: 2 }]);
  assert.deepEqual(sw.receive(3, 'ping!EZT=41'), [{ type: 'send', to: 3, body: 'pong', tracker: 42 }]);
  assert.deepEqual(
    sw.receive(3, 'ping!EZT=7'),
    [{ type: 'send', to: 3, body: 'pong', tracker: 8 }],
    'a smaller tracker is followed too',
  );
  // Without a tracker: the switch's own counter goes on.
  assert.deepEqual(sw.receive(3, 'ping'), [{ type: 'send', to: 3, body: 'pong', tracker: 9 }]);
  assert.deepEqual(
    sw.receive(3, 'ping!EZT=x'),
    [
      {
        type: 'log',
        level: 'warning',
        text: 'port (3): unknown request "ping!EZT=x": no answer',
        withoutText: 'port (3): unknown request (10 bytes): no answer',
        port: 3,
      },
    ],
    'a malformed tracker stays in the body',
  );
  assert.deepEqual(sw.receive(3, 'pong!EZT=100'), []);
  assert.deepEqual(sw.receive(3, 'dump'), [{ type: 'dump' }]);
  assert.deepEqual(
    sw.receive(3, 'ping'),
    [{ type: 'send', to: 3, body: 'pong', tracker: 101 }],
    "the pong's tracker was taken too",
  );
  // message(): the switch's own messages take the next tracker.
  assert.deepEqual(sw.message(3, 'hello'), { type: 'send', to: 3, body: 'hello', tracker: 102 });
  assert.deepEqual(sw.receive(3, `ping!EZT=${'9'.repeat(15)}`), [{ type: 'send', to: 3, body: 'pong', tracker: 1e15 }]);
});

test("Link CTL Peer-Attribute → Link CTL ACK with the switch's attributes", () => {
  const sw = managing();
  sw.join(2);
  assert.deepEqual(sw.receive(2, 'Link CTL Peer-Attribute!EZT=1'), [
    { type: 'send', to: 2, body: 'Link CTL ACK cclass=FabricSwitch,CID0=1500,SID0=27', tracker: 2 },
  ]);
});

test('the whole link exchange: RFC → CTL-Write with a Tag → Standalone Acknowledgment of that Tag → configured + Peer-Attribute → ACK recorded', () => {
  const sw = managing();
  const port = sw.join(3);
  sw.join(4);
  const write = sw.receive(3, 'Link RFC TTC=27us!EZT=1', { nodename: 'z03', cclass: 'Debugger' });
  assert.deepEqual(write, [
    { type: 'send', to: 3, body: 'CTL-Write Space=0,PFMCID=1500,PFMSID=27,CID=300,SID=27,Tag=1', tracker: 2 },
  ]);
  assert.equal(port.nodename, 'z03');
  assert.equal(port.cclass, 'Debugger');
  assert.equal(port.linkState, 'up', 'not configured before the acknowledgment');
  assert.equal(port.cid, 0);

  const configured = sw.receive(3, 'Standalone Acknowledgment Tag=1,Reason=OK!EZT=3');
  assert.deepEqual(configured, [
    { type: 'port', port, change: 'configured' },
    { type: 'send', to: 3, body: 'Link CTL Peer-Attribute', tracker: 4 },
  ]);
  assert.equal(port.linkState, 'configured');
  assert.equal(port.cid, 300);
  assert.equal(port.sid, 27);

  const attributes = sw.receive(3, 'Link CTL ACK cclass=Debugger,CID0=300,SID0=27!EZT=5');
  assert.deepEqual(attributes, [{ type: 'port', port, change: 'attributes' }]);
  assert.deepEqual(port.peerAttributes, { cclass: 'Debugger', CID0: '300', SID0: '27' });
  assert.deepEqual(
    { received: port.received, live: port.live, linkState: port.linkState },
    { received: 3, live: true, linkState: 'configured' },
  );

  // The next RFC (another port) gets the next tag and its own CID.
  assert.deepEqual(sw.receive(4, 'Link RFC TTC=100us!EZT=1'), [
    { type: 'send', to: 4, body: 'CTL-Write Space=0,PFMCID=1500,PFMSID=27,CID=400,SID=27,Tag=2', tracker: 2 },
  ]);
  assert.equal(sw.ports.get(4)!.linkState, 'up');
  // The port of another fabric size: CIDs follow the port's id, PFMCID the switch's.
  const small = new Switch({ serverId: 3, mode: 'managing' });
  small.join(1);
  assert.deepEqual(small.receive(1, 'Link RFC TTC=27US'), [
    { type: 'send', to: 1, body: 'CTL-Write Space=0,PFMCID=300,PFMSID=27,CID=100,SID=27,Tag=1', tracker: 1 },
  ]);
});

test('RFC refused: without TTC, a TTC not in microseconds (no tag is spent)', () => {
  const sw = managing();
  sw.join(3);
  const [noTtc] = onlyWarnings(sw.receive(3, 'Link RFC'));
  assert.match(noTtc!, /^port \(3\): Link RFC without TTC: no answer$/);
  for (const ttc of ['5ms', '27', 'us', '-1us', '1.5us', 'x']) {
    const [warning] = onlyWarnings(sw.receive(3, `Link RFC TTC=${ttc}`));
    assert.match(
      warning!,
      new RegExp(`TTC=${ttc.replace('.', '\\.')}: the time to complete must be in microseconds`),
      ttc,
    );
  }
  const [write] = sw.receive(3, 'Link RFC TTC=27us');
  assert.match((write as Extract<Action, { type: 'send' }>).body, /Tag=1$/, 'the refused RFCs took no tag');
});

test('a tag acknowledged by another port is refused (and stays valid for its own port)', () => {
  const sw = managing();
  sw.join(3);
  const thief = sw.join(4);
  sw.receive(3, 'Link RFC TTC=27us');
  const refused = onlyWarnings(sw.receive(4, 'Standalone Acknowledgment Tag=1,Reason=OK', { nodename: 'thief' }));
  assert.deepEqual(refused, ['thief (4): Standalone Acknowledgment of unknown tag 1: no answer']);
  assert.equal(thief.linkState, 'up');
  assert.equal(thief.cid, 0);
  const owner = sw.receive(3, 'Standalone Acknowledgment Tag=1,Reason=OK');
  assert.equal(owner[0]!.type, 'port');
  assert.equal(sw.ports.get(3)!.linkState, 'configured');
  assert.equal(sw.ports.get(3)!.cid, 300);
});

test('a tag is good once: reused (or never issued, or missing) it is refused', () => {
  const sw = managing();
  const port = sw.join(3);
  sw.receive(3, 'Link RFC TTC=27us');
  assert.equal(sw.receive(3, 'Standalone Acknowledgment Tag=1,Reason=OK').length, 2);
  port.linkState = 'up'; // to see that nothing configures it again
  port.cid = 0;
  assert.deepEqual(onlyWarnings(sw.receive(3, 'Standalone Acknowledgment Tag=1,Reason=OK')), [
    'port (3): Standalone Acknowledgment of unknown tag 1: no answer',
  ]);
  assert.equal(port.linkState, 'up');
  assert.equal(port.cid, 0);
  assert.deepEqual(onlyWarnings(sw.receive(3, 'Standalone Acknowledgment Tag=99,Reason=OK')), [
    'port (3): Standalone Acknowledgment of unknown tag 99: no answer',
  ]);
  assert.deepEqual(onlyWarnings(sw.receive(3, 'Standalone Acknowledgment Reason=OK')), [
    'port (3): Standalone Acknowledgment of unknown tag (none): no answer',
  ]);
  assert.deepEqual(onlyWarnings(sw.receive(3, 'Standalone Acknowledgment Tag=,Reason=OK')), [
    'port (3): Standalone Acknowledgment of unknown tag : no answer',
  ]);
  assert.equal(port.linkState, 'up');
});

test('Reason other than OK: not configured, and the tag is spent', () => {
  const sw = managing();
  const port = sw.join(3);
  sw.receive(3, 'Link RFC TTC=27us');
  assert.deepEqual(onlyWarnings(sw.receive(3, 'Standalone Acknowledgment Tag=1,Reason=Busy')), [
    'port (3): Standalone Acknowledgment Tag=1,Reason=Busy: no answer',
  ]);
  assert.deepEqual({ linkState: port.linkState, cid: port.cid, sid: port.sid }, { linkState: 'up', cid: 0, sid: 0 });
  assert.deepEqual(onlyWarnings(sw.receive(3, 'Standalone Acknowledgment Tag=1,Reason=OK')), [
    'port (3): Standalone Acknowledgment of unknown tag 1: no answer',
  ]);
  sw.receive(3, 'Link RFC TTC=27us');
  assert.deepEqual(onlyWarnings(sw.receive(3, 'Standalone Acknowledgment Tag=2')), [
    'port (3): Standalone Acknowledgment Tag=2,Reason=(none): no answer',
  ]);
  sw.receive(3, 'Link RFC TTC=27us');
  assert.deepEqual(
    onlyWarnings(sw.receive(3, 'Standalone Acknowledgment Tag=3,Reason=ok')),
    ['port (3): Standalone Acknowledgment Tag=3,Reason=ok: no answer'],
    'the reason is case-sensitive',
  );
  assert.equal(port.linkState, 'up');
});

test('other messages the switch does not answer: NAK, a CTL-Write to the switch, bad and unknown requests', () => {
  const sw = managing();
  sw.join(3);
  const cases: Array<[string, string]> = [
    ['Link CTL NAK nope', 'port (3): Link CTL NAK nope: no answer'],
    ['CTL-Write Space=0,PFMCID=1,PFMSID=2,CID=3,SID=4,Tag=5', 'port (3): a CTL-Write to the switch: no answer'],
    ['CTL-Write Space=0', 'port (3): CTL-Write without a valid PFMCID, PFMSID, CID, SID, Tag: no answer'],
    ['Link CTL Bogus', 'port (3): unknown Link CTL request "Bogus": no answer'],
    ['frobnicate the widgets', 'port (3): unknown request "frobnicate the widgets": no answer'],
    ['ping extra', 'port (3): unknown request "ping extra": no answer'],
    ['', 'port (3): unknown request "": no answer'],
  ];
  for (const [text, warning] of cases) assert.deepEqual(onlyWarnings(sw.receive(3, text)), [warning], text);
  // An unknown request is cut to 80 characters in the log.
  const [long] = onlyWarnings(sw.receive(3, 'w'.repeat(300)));
  assert.equal(long, `port (3): unknown request "${'w'.repeat(80)}": no answer`);
  assert.equal(sw.ports.get(3)!.received, cases.length + 1);
  // Without the token, none of the text the peer wrote: sizes in its place, whatever quotes it holds.
  for (const [text, withoutText] of [
    ['Link CTL NAK s3cret', 'port (3): Link CTL NAK (6 bytes): no answer'],
    ['Link CTL s"3cret', 'port (3): unknown Link CTL request (7 bytes): no answer'],
    ['x"s3cret', 'port (3): unknown request (8 bytes): no answer'],
    [
      'Link RFC TTC=s3cret',
      'port (3): Link RFC TTC=(6 bytes): the time to complete must be in microseconds (such as 27us): no answer',
    ],
    [
      'Standalone Acknowledgment Tag=s3cret,Reason=OK',
      'port (3): Standalone Acknowledgment of unknown tag (6 bytes): no answer',
    ],
  ]) {
    const [action] = sw.receive(3, text!);
    assert.equal(action?.type === 'log' && action.withoutText, withoutText, text);
  }
});

test('unmanaged (--noPFM): CID0/SID0 0, RFC ignored, Peer-Attribute greeting once after the first message', () => {
  const sw = unmanaged();
  assert.equal(sw.nodename, 'Z-server');
  assert.equal(sw.cclass, 'FabricSwitch');
  assert.deepEqual(sw.attributes, { cclass: 'FabricSwitch', CID0: 0, SID0: 0 });
  const port = sw.join(2);
  assert.equal(port.greeted, false);
  assert.equal(port.live, false);
  assert.deepEqual(sw.receive(2, 'ping!EZT=1'), [
    { type: 'send', to: 2, body: 'pong', tracker: 2 },
    { type: 'send', to: 2, body: 'Link CTL Peer-Attribute', tracker: 3 },
  ]);
  assert.equal(port.greeted, true);
  assert.deepEqual(
    sw.receive(2, 'ping!EZT=4'),
    [{ type: 'send', to: 2, body: 'pong', tracker: 5 }],
    'greeted once only',
  );
  assert.deepEqual(sw.receive(2, 'Link CTL Peer-Attribute!EZT=6'), [
    { type: 'send', to: 2, body: 'Link CTL ACK cclass=FabricSwitch,CID0=0,SID0=0', tracker: 7 },
  ]);
  assert.deepEqual(onlyWarnings(sw.receive(2, 'Link RFC TTC=27us')), [
    'port (2): Link RFC, but this switch does not manage the fabric (--noPFM): no answer',
  ]);
  assert.equal(port.linkState, 'up');
  // The greeting follows whatever the first message was, even one with no answer.
  sw.join(5);
  const first = sw.receive(5, 'Link RFC TTC=27us');
  assert.equal(first.length, 2);
  assert.equal(first[0]!.type, 'log');
  assert.deepEqual(first[1], { type: 'send', to: 5, body: 'Link CTL Peer-Attribute', tracker: 8 });
  assert.equal(sw.receive(5, 'pong').length, 0);
  // A Standalone Acknowledgment has no tag to match either.
  assert.deepEqual(onlyWarnings(sw.receive(5, 'Standalone Acknowledgment Tag=1,Reason=OK')), [
    'port (5): Standalone Acknowledgment of unknown tag 1: no answer',
  ]);
  // The peer's attributes are recorded as in managing mode.
  assert.deepEqual(sw.receive(5, 'Link CTL ACK cclass=Debugger,CID0=0,SID0=0'), [
    { type: 'port', port: sw.ports.get(5), change: 'attributes' },
  ]);
  assert.deepEqual(sw.ports.get(5)!.peerAttributes, { cclass: 'Debugger', CID0: '0', SID0: '0' });
});

test('a message from a port the switch does not have: one warning, no answer, no port made', () => {
  const sw = managing();
  sw.join(1);
  for (const from of [0, 2, 15, 99]) {
    assert.deepEqual(sw.receive(from, 'ping!EZT=1'), [
      { type: 'log', level: 'warning', text: `message from ${from}, which is no port: ignored` },
    ]);
    assert.equal(sw.ports.has(from), false);
  }
  assert.equal(sw.ports.get(1)!.received, 0);
  // The tracker of an ignored message is not taken.
  assert.deepEqual(sw.receive(1, 'ping'), [{ type: 'send', to: 1, body: 'pong', tracker: 1 }]);
  // After leave(), the port is unknown again.
  sw.leave(1);
  assert.deepEqual(sw.receive(1, 'ping'), [
    { type: 'log', level: 'warning', text: 'message from 1, which is no port: ignored' },
  ]);
  sw.leave(42); // leaving twice, or a port never there, is harmless
  assert.equal(sw.ports.size, 0);
});

test('leave() forgets the port and its tags: a peer that comes back with the id starts afresh', () => {
  const sw = managing();
  sw.join(3);
  sw.join(4);
  sw.receive(3, 'Link RFC TTC=27us'); // tag 1 for port 3
  sw.receive(4, 'Link RFC TTC=27us'); // tag 2 for port 4
  sw.receive(3, 'Link RFC TTC=27us'); // tag 3 for port 3
  const old = sw.ports.get(3)!;
  old.nodename = 'old';
  sw.leave(3);
  assert.equal(sw.ports.has(3), false);
  const again = sw.join(3);
  assert.notEqual(again, old);
  assert.deepEqual(
    { nodename: again.nodename, received: again.received, live: again.live, linkState: again.linkState },
    { nodename: '', received: 0, live: false, linkState: 'up' },
  );
  for (const tag of ['1', '3']) {
    assert.deepEqual(onlyWarnings(sw.receive(3, `Standalone Acknowledgment Tag=${tag},Reason=OK`)), [
      `port (3): Standalone Acknowledgment of unknown tag ${tag}: no answer`,
    ]);
  }
  assert.equal(again.linkState, 'up');
  // Port 4's tag survives port 3's leaving.
  assert.equal(sw.receive(4, 'Standalone Acknowledgment Tag=2,Reason=OK')[0]!.type, 'port');
  assert.equal(sw.ports.get(4)!.linkState, 'configured');
  // New tags go on from where they were: never reused after a leave.
  const [write] = sw.receive(3, 'Link RFC TTC=27us');
  assert.match((write as Extract<Action, { type: 'send' }>).body, /,Tag=4$/);
});

test('counters: received counts each message from the port; live once it has sent anything; names follow the slot (not when cleared)', () => {
  const sw = managing();
  const a: Port = sw.join(1);
  const b: Port = sw.join(2);
  assert.equal(a.live, false);
  sw.receive(1, 'ping');
  assert.equal(a.live, true);
  assert.equal(b.live, false);
  sw.receive(1, 'garbage');
  sw.receive(1, 'pong');
  sw.receive(2, 'ping', { nodename: 'beta' });
  assert.deepEqual([a.received, b.received], [3, 1]);
  assert.deepEqual([a.sent, b.sent], [0, 0], 'sent is counted by the runtime once a message is taken');
  assert.equal(b.nodename, 'beta');
  assert.equal(b.cclass, DRIVERLESS_CCLASS, 'a name not given is kept');
  sw.receive(2, 'ping', { cclass: 'Debugger' });
  assert.deepEqual([b.nodename, b.cclass], ['beta', 'Debugger']);
  // A slot cleared by a leaving peer before its last message is read keeps the port's names.
  sw.receive(2, 'ping', { nodename: '', cclass: '' });
  assert.deepEqual([b.nodename, b.cclass], ['beta', 'Debugger']);
  // The warning names the port by its nodename when it has one.
  assert.deepEqual(onlyWarnings(sw.receive(2, 'what', { nodename: 'beta' })), [
    'beta (2): unknown request "what": no answer',
  ]);
  assert.equal(b.received, 4);
});

test("a new Link RFC supersedes the port's earlier one: only the latest tag is acknowledged", () => {
  const sw = new Switch({ serverId: 15, mode: 'managing' });
  sw.join(1);
  const tagOf = (actions: Action[]): string =>
    /Tag=(\d+)/.exec((actions[0] as Extract<Action, { type: 'send' }>).body)![1]!;
  const first = tagOf(sw.receive(1, 'Link RFC TTC=27us'));
  const second = tagOf(sw.receive(1, 'Link RFC TTC=27us'));
  assert.notEqual(first, second);
  assert.match(
    String((sw.receive(1, `Standalone Acknowledgment Tag=${first},Reason=OK`)[0] as { text: string }).text),
    /unknown tag/,
  );
  assert.equal(sw.ports.get(1)!.linkState, 'up');
  assert.equal(sw.receive(1, `Standalone Acknowledgment Tag=${second},Reason=OK`)[0]!.type, 'port');
  assert.equal(sw.ports.get(1)!.linkState, 'configured');
});
