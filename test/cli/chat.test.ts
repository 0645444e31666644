// `famez chat` as people use it: two chats and a fabric, FAME-Z's commands and
// lines, scripts, and what the other side can do wrong.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createFabric, type Fabric, type FabricMessage } from '../../src/fabric/index.js';
import { connect, createServer } from '../../src/index.js';
import { Mailbox } from '../../src/mailbox/index.js';
import { famezAsync as famez, Famez, MAIN } from './cli.js';
import { LineProcess } from '../helpers/line-process.js';
import { tempDir } from '../server/helpers.js';
import { waitFor } from '../helpers/fds.js';
import { scratchFabric } from '../fabric/harness.js';

function startFabric(t: TestContext, recycle = true): Promise<Fabric> {
  return scratchFabric(t, { recycle });
}

type Line = Record<string, unknown>;

/** A chat driven line by line from stdin, printing JSON. */
class Chat {
  readonly process: Famez;
  readonly #taken = new Set<number>();

  constructor(t: TestContext, socket: string) {
    this.process = new Famez(t, ['chat', '-S', socket, '--json']);
  }

  /** The first JSON line not taken yet that matches. */
  async next(match: (line: Line) => boolean, what: string): Promise<Line> {
    return waitFor(
      () => {
        const lines = this.process.stdout;
        for (let i = 0; i < lines.length; i++) {
          if (this.#taken.has(i)) continue;
          const line = JSON.parse(lines[i]!) as Line;
          if (match(line)) {
            this.#taken.add(i);
            return line;
          }
        }
        return undefined;
      },
      `${what} (stdout: ${this.process.stdout.join(' | ')})`,
      10_000,
    );
  }

  /** Runs a command and returns its result line. */
  async run(command: string): Promise<Line> {
    this.process.send(command);
    return this.next((line) => line.command === command, `the result of "${command}"`);
  }
}

test('two chats and a fabric: ping, send both ways, spoof, who, dump, rfc, link, quit; everyone sees the right sender', async (t) => {
  const fabric = await startFabric(t, false);
  const heard: FabricMessage[] = [];
  fabric.on('message', (m) => heard.push(m));
  const a = new Chat(t, fabric.socketPath);
  assert.deepEqual(await a.next((l) => l.event === 'ready', 'A ready'), {
    event: 'ready',
    id: 1,
    nodename: 'z01',
    peers: [
      { id: 1, nodename: 'z01', cclass: 'Debugger' },
      { id: 15, nodename: 'Z-switch', cclass: 'FabricSwitch' },
    ],
  });
  const b = new Chat(t, fabric.socketPath);
  await b.next((l) => l.event === 'ready' && l.id === 2, 'B ready');
  await a.next((l) => l.event === 'peer' && l.id === 2, 'A hears of B');
  // Each greets the switch with Link CTL Peer-Attribute when ready, as FAME-Z's client does.
  await a.next(
    (l) => l.event === 'message' && l.from === 15 && l.body === 'Link CTL ACK cclass=FabricSwitch,CID0=1500,SID0=27',
    "the switch's attributes",
  );

  assert.equal((await a.run('ping server')).ok, true);
  await a.next((l) => l.event === 'message' && l.from === 15 && l.body === 'pong', 'pong from the switch');
  assert.ok(
    heard.some((m) => m.from === 1 && m.nodename === 'z01' && m.body === 'ping'),
    'the switch saw the ping from z01',
  );

  assert.equal((await a.run('send z02 hello there')).ok, true);
  assert.deepEqual(await b.next((l) => l.event === 'message' && l.from === 1, "B gets A's message"), {
    event: 'message',
    from: 1,
    nodename: 'z01',
    text: 'hello there!EZT=1',
    body: 'hello there',
    tracker: 1,
  });
  assert.equal((await b.run('s 1 and back')).ok, true);
  await a.next(
    (l) => l.event === 'message' && l.from === 2 && l.nodename === 'z02' && l.body === 'and back',
    "A gets B's message",
  );

  assert.equal((await a.run('spoof server z02 I am the switch')).ok, true);
  await b.next(
    (l) => l.event === 'message' && l.from === 15 && l.nodename === 'Z-switch' && l.body === 'I am the switch',
    'B gets the spoofed message',
  );
  assert.equal((await b.run('sp 1 server ping')).ok, true);
  await waitFor(
    () => heard.some((m) => m.from === 1 && m.body === 'ping' && m.tracker === 1 && heard.indexOf(m) > 0),
    'the switch sees a ping from 1 that B spoofed',
  );
  await a.next(
    (l) => l.event === 'message' && l.from === 15 && l.body === 'pong',
    'the switch answers the spoofed ping to 1, whose slot it came from',
  );

  const who = await a.run('who');
  assert.deepEqual(
    (who.result as { peers: { id: number; nodename: string }[] }).peers.map((p) => [p.id, p.nodename]),
    [
      [1, 'z01'],
      [2, 'z02'],
      [15, 'Z-switch'],
    ],
  );

  assert.equal((await a.run('rfc')).ok, true);
  assert.deepEqual(await a.next((l) => l.event === 'configured', "A's link configured"), {
    event: 'configured',
    state: 'configured',
    cid0: 100,
    sid0: 27,
    pfmCid0: 1500,
    pfmSid0: 27,
  });
  await waitFor(
    () =>
      (fabric.ports.get(1)?.linkState === 'configured' && fabric.ports.get(1)?.peerAttributes.CID0 === '100') ||
      undefined,
    'the switch configured port 1 and recorded its attributes',
  );
  const dump = await a.run('dump');
  assert.deepEqual((dump.result as { link: unknown }).link, {
    state: 'configured',
    cid0: 100,
    sid0: 27,
    pfmCid0: 1500,
    pfmSid0: 27,
  });

  assert.equal((await b.run('link CTL Peer-Attribute')).ok, true);
  await b.next(
    (l) => l.event === 'message' && l.from === 15 && /^Link CTL ACK cclass=FabricSwitch/.test(String(l.body)),
    "B gets the switch's ACK",
  );

  a.process.send('quit');
  assert.deepEqual(await a.process.exit(), { code: 0, signal: null });
  assert.deepEqual(await b.next((l) => l.event === 'peer-gone', 'B hears A leave'), {
    event: 'peer-gone',
    id: 1,
    nodename: 'z01',
  });
  b.process.send('quit');
  assert.deepEqual(await b.process.exit(), { code: 0, signal: null });
});

test('text output is FAME-Z\'s: This ID, Ready player, a message as %10s -> "%s" (n), who, dump', async (t) => {
  const fabric = await startFabric(t);
  const result = await famez(['chat', '-S', fabric.socketPath, '-c', 'ping server; who; dump']);
  assert.equal(result.status, 0, result.stderr);
  const lines = result.stdout.split('\n');
  assert.deepEqual(lines.slice(0, 3), ['This ID =  1 (z01)', 'Active client list now complete', 'Ready player z01']);
  assert.ok(lines.includes('  Z-switch -> "pong" (2)'), result.stdout);
  assert.ok(lines.includes('This ID =  1 (z01)') && lines.includes('Peer ID = 15 (Z-switch)'), result.stdout);
  assert.ok(
    lines.includes('\t 1 z01') &&
      lines.includes('\t15 Z-switch') &&
      lines.includes('My CID0:SID0 = 0:0') &&
      lines.includes(" {'State': 'up'}"),
    result.stdout,
  );
});

test('scripts: the first failing command ends the run with status 1; a message of 384 bytes or more is refused', async (t) => {
  const fabric = await startFabric(t);
  const long = await famez(['chat', '-S', fabric.socketPath, '-c', `send server ${'x'.repeat(380)}; ping server`]);
  assert.equal(long.status, 1);
  assert.match(long.stdout, /the message is 38\d bytes with its tracker; a slot holds at most 383: shorten it/);
  assert.doesNotMatch(long.stdout, /pong/, 'the run stopped at the failure');
  const unknown = await famez(['chat', '-S', fabric.socketPath, '-c', 'send nobody hi']);
  assert.equal(unknown.status, 1);
  assert.match(unknown.stdout, /unknown peer "nobody": use an id, a nodename, server, all or others/);
  const timeout = await famez(['chat', '-S', fabric.socketPath, '-c', 'wait message 3 0.2']);
  assert.equal(timeout.status, 1);
  assert.match(timeout.stdout, /timeout: no message from 3 within 0.2 s/);
});

test("wait message FROM waits for FROM only: `wait message 2` is peer 2 (not 2 s, not the switch's answer); `any` takes every sender", {
  timeout: 60_000,
}, async (t) => {
  const fabric = await startFabric(t);
  const waiting = famez(
    ['chat', '-S', fabric.socketPath, '--json', '-c', 'ping server; wait peer 2 20; wait message 2'],
    30_000,
  );
  await waitFor(() => fabric.ports.has(1), 'the first chat on port 1', 20_000);
  const sender = await famez(['chat', '-S', fabric.socketPath, '-c', 'wait peer 1 20; send 1 hello'], 30_000);
  assert.equal(sender.status, 0, sender.stdout + sender.stderr);
  const result = await waiting;
  assert.equal(result.status, 0, result.stdout + result.stderr);
  const lines = result.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Line);
  const wait = lines.find((line) => line.command === 'wait message 2');
  assert.equal(wait && (wait.result as Line).from, 2, result.stdout);
  assert.equal((wait!.result as Line).body, 'hello');

  const other = await famez(['chat', '-S', fabric.socketPath, '-c', 'ping server; wait message 2 0.5']);
  assert.equal(other.status, 1, other.stdout);
  assert.match(other.stdout, /Z-switch -> "pong"/, 'a message came, from the switch');
  assert.match(other.stdout, /timeout: no message from 2 within 0.5 s/);
  const any = await famez(['chat', '-S', fabric.socketPath, '-c', 'rfc; wait message any 10']);
  assert.equal(any.status, 0, any.stdout + any.stderr);
  assert.match(
    any.stdout,
    /Z-switch -> "Link CTL Peer-Attribute"/,
    "the switch's own request, after our link is configured",
  );
  const bad = await famez(['chat', '-S', fabric.socketPath, '-c', 'wait message server 1 2']);
  assert.equal(bad.status, 1);
  assert.match(bad.stdout, /usage: wait message \[from\|any \[seconds\]\]/);
});

test("a command's answer is its own: ping is done at the pong, rfc at the CTL-Write; a wait gets neither, nor the ACK to the chat's own greeting", async (t) => {
  const fabric = await startFabric(t);
  const ping = await famez(['chat', '-S', fabric.socketPath, '-c', 'ping server; wait message server 1']);
  assert.equal(ping.status, 1, ping.stdout);
  assert.match(ping.stdout, /Z-switch -> "pong"[^]*timeout: no message from server within 1 s/);
  const rfc = await famez(['chat', '-S', fabric.socketPath, '-c', 'rfc; dump']);
  assert.equal(rfc.status, 0, rfc.stdout);
  assert.match(rfc.stdout, /My CID0:SID0 = \d+00:27/, 'dump after rfc: the link is configured');
  assert.match(rfc.stdout, /Peer attributes:\n \{'cclass': 'FabricSwitch'/, "and the switch's attributes are in");
  const silent = await famez([
    'chat',
    '-S',
    fabric.socketPath,
    '-c',
    'spoof 3 server ping; send server hello; wait message server 1',
  ]);
  assert.equal(silent.status, 1, silent.stdout);
  assert.doesNotMatch(
    silent.stdout,
    /pong/,
    "a spoofed ping's answer goes to the peer spoofed; a message that asks nothing waits for nothing",
  );
});

test('against a plain ivshmem server: one line, exit 1', async (t) => {
  const dir = tempDir(t);
  const server = createServer({ socketPath: join(dir, 'sock'), memory: { kind: 'memfd', size: 1 << 16 }, vectors: 4 });
  t.after(() => server.close());
  await server.listen();
  const result = await famez(['chat', '-S', join(dir, 'sock'), '-c', 'who']);
  assert.equal(result.status, 1);
  assert.match(
    result.stderr,
    /^famez: no mailbox globals .*: the server is not an IVSHMSG fabric \(start one with .*main\.js fabric\)\n$/,
  );
  assert.equal(result.stdout, '');
});

test('on a terminal: a receiver that never hands the slot back is a clear timeout and the console stays usable; garbage in a slot is a warning', {
  timeout: 30_000,
}, async (t) => {
  const fabric = await startFabric(t);
  const quote = (word: string): string => `'${word.replace(/'/g, `'\\''`)}'`;
  const tty = new LineProcess(t, 'famez chat on a pty', 'script', [
    '-qfec',
    [process.execPath, MAIN, 'chat', '-S', fabric.socketPath].map(quote).join(' '),
    '/dev/null',
  ]);
  await tty.line(/Ready player z01/);
  // A peer that never takes its messages, and writes garbage into its own slot.
  const mute = await connect({ path: fabric.socketPath });
  t.after(() => mute.close());
  const box = new Mailbox(mute.memory.map(0, 8192));
  await tty.line(/New client 2 complete/);
  tty.child.stdin.write('send 2 anyone there?\r');
  await tty.line(/peer 2 did not take the message within 1000 ms: slot taken back/);
  tty.child.stdin.write('ping server\r');
  await tty.line(/Z-switch -> "pong"/);
  new DataView(box.view.buffer).setBigUint64(2 * 512 + 64, 0xffffffffn, true);
  mute.ring(1, 2);
  await tty.line(/warning: slot 2: buflen 4294967295 is past the 384-byte buffer: ignored/);
  tty.child.stdin.write('ping server\r');
  const first = tty.stdout.findIndex((line) => /Z-switch -> "pong"/.test(line));
  await tty.lineIndex(/Z-switch -> "pong"/, 10_000, first + 1);
  tty.child.stdin.write('quit\r');
  assert.deepEqual(await tty.exit(), { code: 0, signal: null });
});

test('a fabric that goes away: the chat says so and exits 1', async (t) => {
  const fabric = await startFabric(t);
  const chat = new Famez(t, ['chat', '-S', fabric.socketPath]);
  await chat.line(/Ready player z01/);
  await fabric.close();
  await chat.line(/The server was probably shut down/);
  assert.deepEqual(await chat.exit(), { code: 1, signal: null });
});

test('--reconnect: the chat waits for the fabric, comes back when it restarts, and names itself again', async (t) => {
  const dir = tempDir(t);
  const socketPath = join(dir, 'sock');
  const options = { socketPath, mailbox: join(dir, 'mailbox') };
  let fabric = createFabric(options);
  t.after(() => fabric.close());
  await fabric.listen();
  const proc = new Famez(t, ['chat', '-S', socketPath, '--json', '--reconnect']);
  await proc.line(/"event":"ready","id":1/);
  await fabric.close();
  await proc.line(/"event":"disconnected".*"reconnecting":true/);
  fabric = createFabric(options);
  await fabric.listen();
  await proc.line(/"event":"reconnected"/);
  await waitFor(() => fabric.mailbox.nodename(1) === 'z01' || undefined, 'the chat names itself in the new mailbox');
  proc.send('ping server');
  await proc.line(/"body":"pong"/);
  proc.send('quit');
  assert.deepEqual(await proc.exit(), { code: 0, signal: null });
});
