// Payload text and the link exchange's messages as plain data: the tracker,
// words, argument lists, parseRequest for every message and every malformed
// variant, and the formatters (each parsed back).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  formatArguments,
  formatPayload,
  parseArguments,
  parsePayload,
  TRACKER_TOKEN,
  words,
} from '../../src/fabric/payload.js';
import {
  ctlWrite,
  linkAck,
  linkRfc,
  parseRequest,
  PEER_ATTRIBUTE_REQUEST,
  standaloneAck,
  type Request,
} from '../../src/fabric/link.js';

test('parsePayload: the tracker !EZT=<n> at the end is split off', () => {
  assert.equal(TRACKER_TOKEN, '!EZT=');
  assert.deepEqual(parsePayload('ping!EZT=5'), { body: 'ping', tracker: 5 });
  assert.deepEqual(parsePayload('pong!EZT=0'), { body: 'pong', tracker: 0 });
  assert.deepEqual(parsePayload('!EZT=12'), { body: '', tracker: 12 });
  assert.deepEqual(parsePayload('ping !EZT=7'), { body: 'ping ', tracker: 7 }, 'the body is kept as it is');
  assert.deepEqual(parsePayload('Link RFC TTC=27us!EZT=3'), { body: 'Link RFC TTC=27us', tracker: 3 });
  assert.deepEqual(parsePayload('ping!EZT=007'), { body: 'ping', tracker: 7 });
  assert.deepEqual(parsePayload(`ping!EZT=${'9'.repeat(15)}`), { body: 'ping', tracker: 999999999999999 });
});

test('parsePayload: no tracker, or a malformed one, leaves the whole text as the body', () => {
  for (const text of [
    'ping',
    '',
    'ping!EZT',
    'ping!EZ=5',
    'ping!ezt=5',
    'ping!EZT=',
    'ping!EZT=x',
    'ping!EZT=5x',
    'ping!EZT=-1',
    'ping!EZT=1.5',
    'ping!EZT= 5',
    'ping!EZT=5 ',
    'ping!EZT=+5',
    'ping!EZT=1e3',
    `ping!EZT=${'1'.repeat(16)}`,
    'ping!EZT=٣',
  ]) {
    const parsed = parsePayload(text);
    assert.deepEqual(parsed, { body: text }, JSON.stringify(text));
    assert.equal('tracker' in parsed, false);
  }
});

test('parsePayload: the last token wins', () => {
  assert.deepEqual(parsePayload('a!EZT=1!EZT=2'), { body: 'a!EZT=1', tracker: 2 });
  assert.deepEqual(parsePayload('say !EZT=1 twice!EZT=9'), { body: 'say !EZT=1 twice', tracker: 9 });
  // The last one is malformed: no tracker at all, even though an earlier one is well formed.
  assert.deepEqual(parsePayload('a!EZT=1!EZT=x'), { body: 'a!EZT=1!EZT=x' });
  assert.deepEqual(parsePayload('!EZT=1 trailing'), { body: '!EZT=1 trailing' });
});

test('formatPayload: body then tracker; no tracker, no token; parsePayload reads it back', () => {
  assert.equal(formatPayload('pong', 6), 'pong!EZT=6');
  assert.equal(formatPayload('pong', 0), 'pong!EZT=0');
  assert.equal(formatPayload('pong'), 'pong');
  assert.equal(formatPayload('', 1), '!EZT=1');
  for (const [body, tracker] of [
    ['ping', 1],
    ['Link CTL ACK cclass=FabricSwitch,CID0=1500,SID0=27', 42],
    ['héllo ✓', 3],
    ['', 0],
  ] as const) {
    assert.deepEqual(parsePayload(formatPayload(body, tracker)), { body, tracker });
  }
  assert.deepEqual(parsePayload(formatPayload('ping')), { body: 'ping' });
});

test('words: split on any run of white space, no empty words', () => {
  assert.deepEqual(words('Link CTL Peer-Attribute'), ['Link', 'CTL', 'Peer-Attribute']);
  assert.deepEqual(words('  a \t b\n\nc  '), ['a', 'b', 'c']);
  assert.deepEqual(words('one'), ['one']);
  assert.deepEqual(words(''), []);
  assert.deepEqual(words(' \t\n '), []);
});

test('parseArguments: key=value items, trimmed; items without a key or "=" left out; the last duplicate wins', () => {
  assert.deepEqual(parseArguments('a=1, b = x'), { a: '1', b: 'x' });
  assert.deepEqual(parseArguments('cclass=FabricSwitch,CID0=1500,SID0=27'), {
    cclass: 'FabricSwitch',
    CID0: '1500',
    SID0: '27',
  });
  assert.deepEqual(parseArguments('  key  =  spaced value  '), { key: 'spaced value' });
  assert.deepEqual(parseArguments('lonely'), {});
  assert.deepEqual(parseArguments('x,y=2,z'), { y: '2' });
  assert.deepEqual(parseArguments(''), {});
  assert.deepEqual(parseArguments(',,,'), {});
  assert.deepEqual(parseArguments('=value'), {}, 'no key');
  assert.deepEqual(parseArguments(' =value'), {}, 'a blank key');
  assert.deepEqual(parseArguments('a='), { a: '' });
  assert.deepEqual(parseArguments('a=b=c'), { a: 'b=c' }, 'the first = splits');
  assert.deepEqual(parseArguments('a=1,a=2'), { a: '2' });
  assert.deepEqual(parseArguments('TTC=27us'), { TTC: '27us' });
});

test('formatArguments: k=v joined by commas, in order; parseArguments reads it back', () => {
  assert.equal(formatArguments({ a: 1, b: 'x' }), 'a=1,b=x');
  assert.equal(formatArguments({}), '');
  const values = { Tag: '7', Reason: 'OK' };
  assert.deepEqual(parseArguments(formatArguments(values)), values);
});

test('parseRequest: ping, pong, dump alone (with any white space around them)', () => {
  assert.deepEqual(parseRequest('ping'), { kind: 'ping' });
  assert.deepEqual(parseRequest('pong'), { kind: 'pong' });
  assert.deepEqual(parseRequest('dump'), { kind: 'dump' });
  assert.deepEqual(parseRequest('  ping \t'), { kind: 'ping' });
  // Extra words, another case: not the request.
  assert.deepEqual(parseRequest('ping extra'), { kind: 'other', words: ['ping', 'extra'] });
  assert.deepEqual(parseRequest('ping ping'), { kind: 'other', words: ['ping', 'ping'] });
  assert.deepEqual(parseRequest('dump now'), { kind: 'other', words: ['dump', 'now'] });
  assert.deepEqual(parseRequest('PING'), { kind: 'other', words: ['PING'] });
  assert.deepEqual(parseRequest('pingpong'), { kind: 'other', words: ['pingpong'] });
  assert.deepEqual(parseRequest(''), { kind: 'other', words: [] });
  assert.deepEqual(parseRequest('   '), { kind: 'other', words: [] });
  assert.deepEqual(parseRequest('frobnicate the widgets'), { kind: 'other', words: ['frobnicate', 'the', 'widgets'] });
});

test('parseRequest: Link CTL Peer-Attribute, ACK, NAK; anything else after Link CTL is bad', () => {
  assert.deepEqual(parseRequest(PEER_ATTRIBUTE_REQUEST), { kind: 'peer-attribute' });
  assert.deepEqual(parseRequest('Link  CTL   Peer-Attribute '), { kind: 'peer-attribute' });
  assert.deepEqual(parseRequest('Link CTL ACK cclass=FabricSwitch,CID0=1500,SID0=27'), {
    kind: 'ack',
    attributes: { cclass: 'FabricSwitch', CID0: '1500', SID0: '27' },
  });
  assert.deepEqual(
    parseRequest('Link CTL ACK cclass=Driverless  QEMU,CID0=0,SID0=0'),
    { kind: 'ack', attributes: { cclass: 'Driverless QEMU', CID0: '0', SID0: '0' } },
    'a value with a space',
  );
  assert.deepEqual(parseRequest('Link CTL ACK'), { kind: 'ack', attributes: {} });
  assert.deepEqual(parseRequest('Link CTL ACK garbage'), { kind: 'ack', attributes: {} });
  assert.deepEqual(parseRequest('Link CTL NAK no such thing'), { kind: 'nak', detail: 'no such thing' });
  assert.deepEqual(parseRequest('Link CTL NAK'), { kind: 'nak', detail: '' });

  const bad = (body: string, why: RegExp): void => {
    const request = parseRequest(body);
    assert.equal(request.kind, 'bad', body);
    const { why: reason, quote } = request as Extract<Request, { kind: 'bad' }>;
    assert.match(quote === undefined ? reason : `${reason} "${quote}"`, why, body);
  };
  bad('Link CTL Bogus', /^unknown Link CTL request "Bogus"$/);
  bad('Link CTL', /^unknown Link CTL request ""$/);
  bad('Link CTL Peer-Attribute now', /^unknown Link CTL request "Peer-Attribute now"$/);
  bad('Link CTL peer-attribute', /unknown Link CTL request "peer-attribute"/);
  bad('Link CTL ack cclass=x', /unknown Link CTL request "ack cclass=x"/);
  // "Link" without CTL or RFC is no link request at all.
  assert.deepEqual(parseRequest('Link'), { kind: 'other', words: ['Link'] });
  assert.deepEqual(parseRequest('Link Up'), { kind: 'other', words: ['Link', 'Up'] });
  assert.deepEqual(parseRequest('link CTL Peer-Attribute'), {
    kind: 'other',
    words: ['link', 'CTL', 'Peer-Attribute'],
  });
});

test('parseRequest: Link RFC with and without TTC (the switch judges the value)', () => {
  assert.deepEqual(parseRequest('Link RFC TTC=27us'), { kind: 'rfc', ttc: '27us' });
  assert.deepEqual(parseRequest(linkRfc()), { kind: 'rfc', ttc: '27us' });
  assert.deepEqual(parseRequest(linkRfc('100us')), { kind: 'rfc', ttc: '100us' });
  assert.deepEqual(parseRequest('Link RFC TTC=5ms'), { kind: 'rfc', ttc: '5ms' });
  assert.deepEqual(parseRequest('Link RFC TTC=27us,Extra=1'), { kind: 'rfc', ttc: '27us' });
  for (const body of ['Link RFC', 'Link RFC TTC', 'Link RFC ttc=27us', 'Link RFC Time=27us']) {
    const request = parseRequest(body);
    assert.equal(request.kind, 'rfc', body);
    assert.equal((request as Extract<Request, { kind: 'rfc' }>).ttc, undefined, `${body}: no TTC`);
  }
});

test("parseRequest: CTL-Write with every field; the formatter's text parses back to the same write", () => {
  const write = { space: 0, pfmCid: 1500, pfmSid: 27, cid: 300, sid: 27, tag: '4' };
  const text = ctlWrite(write);
  assert.equal(text, 'CTL-Write Space=0,PFMCID=1500,PFMSID=27,CID=300,SID=27,Tag=4');
  assert.deepEqual(parseRequest(text), { kind: 'ctl-write', write });
  assert.deepEqual(
    parseRequest('CTL-Write Tag=x9, SID=1 ,CID=2,PFMSID=3,PFMCID=4,Space=5'),
    { kind: 'ctl-write', write: { space: 5, pfmCid: 4, pfmSid: 3, cid: 2, sid: 1, tag: 'x9' } },
    'any order, spaces',
  );
});

test('parseRequest: a CTL-Write missing (or with an invalid) each field is bad, naming the field', () => {
  const full: Record<string, string> = { Space: '0', PFMCID: '1500', PFMSID: '27', CID: '100', SID: '27', Tag: '1' };
  const body = (values: Record<string, string>): string =>
    `CTL-Write ${Object.entries(values)
      .map(([k, v]) => `${k}=${v}`)
      .join(',')}`;
  for (const key of Object.keys(full)) {
    const without = { ...full };
    delete without[key];
    assert.deepEqual(
      parseRequest(body(without)),
      { kind: 'bad', why: `CTL-Write without a valid ${key}` },
      `without ${key}`,
    );
    assert.deepEqual(
      parseRequest(body({ ...full, [key]: '' })),
      { kind: 'bad', why: `CTL-Write without a valid ${key}` },
      `${key} empty`,
    );
  }
  for (const key of ['Space', 'PFMCID', 'PFMSID', 'CID', 'SID']) {
    for (const value of ['x', '-1', '1.5', '0x10', '1e3', '1'.repeat(16)]) {
      assert.deepEqual(
        parseRequest(body({ ...full, [key]: value })),
        { kind: 'bad', why: `CTL-Write without a valid ${key}` },
        `${key}=${value}`,
      );
    }
  }
  assert.deepEqual(parseRequest('CTL-Write'), {
    kind: 'bad',
    why: 'CTL-Write without a valid Space, PFMCID, PFMSID, CID, SID, Tag',
  });
  assert.deepEqual(parseRequest('CTL-Write Space=0'), {
    kind: 'bad',
    why: 'CTL-Write without a valid PFMCID, PFMSID, CID, SID, Tag',
  });
  assert.deepEqual(
    parseRequest('CTL-Write space=0,pfmcid=1,pfmsid=2,cid=3,sid=4,tag=5'),
    { kind: 'bad', why: 'CTL-Write without a valid Space, PFMCID, PFMSID, CID, SID, Tag' },
    'keys are case-sensitive',
  );
});

test('parseRequest: Standalone Acknowledgment with Tag and Reason, and without either', () => {
  assert.equal(standaloneAck('7'), 'Standalone Acknowledgment Tag=7,Reason=OK');
  assert.equal(standaloneAck('7', 'Busy'), 'Standalone Acknowledgment Tag=7,Reason=Busy');
  const fields = (body: string): [string, string | undefined, string | undefined] => {
    const request = parseRequest(body);
    return request.kind === 'standalone-ack'
      ? [request.kind, request.tag, request.reason]
      : [request.kind, undefined, undefined];
  };
  assert.deepEqual(fields(standaloneAck('7')), ['standalone-ack', '7', 'OK']);
  assert.deepEqual(fields(standaloneAck('12', 'Refused')), ['standalone-ack', '12', 'Refused']);
  assert.deepEqual(fields('Standalone Acknowledgment Reason=OK'), ['standalone-ack', undefined, 'OK'], 'no Tag');
  assert.deepEqual(fields('Standalone Acknowledgment Tag=3'), ['standalone-ack', '3', undefined], 'no Reason');
  assert.deepEqual(fields('Standalone Acknowledgment'), ['standalone-ack', undefined, undefined]);
  assert.deepEqual(fields('Standalone Acknowledgment Tag=,Reason=OK'), ['standalone-ack', '', 'OK']);
  assert.deepEqual(parseRequest('Standalone'), { kind: 'other', words: ['Standalone'] });
  assert.deepEqual(parseRequest('Standalone Ack Tag=1'), { kind: 'other', words: ['Standalone', 'Ack', 'Tag=1'] });
});

test('the formatters: Link CTL ACK, Link RFC; every message of the exchange parses back after a tracker round trip', () => {
  assert.equal(
    linkAck({ cclass: 'FabricSwitch', CID0: 1500, SID0: 27 }),
    'Link CTL ACK cclass=FabricSwitch,CID0=1500,SID0=27',
  );
  assert.equal(linkRfc(), 'Link RFC TTC=27us');
  assert.equal(linkRfc('5us'), 'Link RFC TTC=5us');
  const exchange: Array<[string, Request]> = [
    [linkRfc(), { kind: 'rfc', ttc: '27us' }],
    [
      ctlWrite({ space: 0, pfmCid: 1500, pfmSid: 27, cid: 100, sid: 27, tag: '1' }),
      { kind: 'ctl-write', write: { space: 0, pfmCid: 1500, pfmSid: 27, cid: 100, sid: 27, tag: '1' } },
    ],
    [PEER_ATTRIBUTE_REQUEST, { kind: 'peer-attribute' }],
    [
      linkAck({ cclass: 'Debugger', CID0: 100, SID0: 27 }),
      { kind: 'ack', attributes: { cclass: 'Debugger', CID0: '100', SID0: '27' } },
    ],
  ];
  for (const [i, [text, request]] of exchange.entries()) {
    const { body, tracker } = parsePayload(formatPayload(text, i + 1));
    assert.equal(tracker, i + 1);
    assert.deepEqual(parseRequest(body), request, text);
  }
  const { body } = parsePayload(formatPayload(standaloneAck('1'), 9));
  const ack = parseRequest(body);
  assert.equal(ack.kind, 'standalone-ack');
  assert.equal((ack as Extract<Request, { kind: 'standalone-ack' }>).tag, '1');
  assert.equal((ack as Extract<Request, { kind: 'standalone-ack' }>).reason, 'OK');
});
