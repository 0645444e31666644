// The same ping-pong as doorbell-peer.js, but without the client library: the
// handshake read with src/sys directly, a sys.Watcher.eventfd on our doorbell
// and sys.ringEventfd on the peer's. It shows what Node, libuv and the addon
// cost on their own, between the C floor and a FamezClient.
// Usage: raw-peer.js ping|pong SOCKET
import { hrtime } from 'node:process';
import * as sys from '../../src/sys/index.js';
import { childSetup, summarize, tell, type Message } from '../lib.js';

childSetup();
const [role, path] = process.argv.slice(2);
if ((role !== 'ping' && role !== 'pong') || !path) throw new Error('usage: raw-peer.js ping|pong SOCKET');

const socket = sys.connect(path);
const doorbells = new Map<number, sys.Fd>();
let id = -1;
let received = 0;
let own: sys.Watcher | undefined;
let onRing: () => void = () => {};
let target = -1;
const bytes = new Uint8Array(8);
let have = 0;

const watcher = sys.Watcher.fd(socket, () => {
  for (;;) {
    const got = sys.receive(socket, 8 - have);
    if (got === null) return;
    if (got.bytes.length === 0) process.exit(0);
    bytes.set(got.bytes, have);
    have += got.bytes.length;
    if (have < 8) {
      got.fds.forEach(sys.close);
      continue;
    }
    have = 0;
    const view = new DataView(bytes.buffer);
    const value = view.getInt32(4, true) * 2 ** 32 + view.getUint32(0, true);
    const fd = got.fds[0];
    const n = received++;
    if (n === 1) id = value;
    if (fd === undefined || n < 3) {
      got.fds.forEach(sys.close);
      continue;
    }
    if (value === id) {
      own = sys.Watcher.eventfd(fd, () => onRing());
      tell({ type: 'ready', id });
    } else if (!doorbells.has(value)) {
      doorbells.set(value, fd);
      target = value;
      if (own) tell({ type: 'peer', id: value });
    } else {
      sys.close(fd);
    }
  }
});
watcher.start(sys.READABLE);

if (role === 'pong') onRing = () => sys.ringEventfd(doorbells.get(target)!);

process.on('message', (message: Message) => {
  if (message.type === 'start') ping(message.peer as number, message.rounds as number, message.warmup as number);
  else if (message.type === 'exit') {
    own?.close();
    watcher.close();
    process.exit(0);
  }
});

function ping(peer: number, rounds: number, warmup: number): void {
  const fd = doorbells.get(peer);
  if (fd === undefined) throw new Error(`no doorbell for peer ${peer}`);
  const samples = new Float64Array(rounds);
  let done = 0;
  let sent = 0n;
  onRing = () => {
    const now = hrtime.bigint();
    if (done >= warmup) samples[done - warmup] = Number(now - sent);
    if (++done === rounds + warmup) {
      tell({ type: 'result', ...summarize(samples) });
      return;
    }
    sent = hrtime.bigint();
    sys.ringEventfd(fd);
  };
  sent = hrtime.bigint();
  sys.ringEventfd(fd);
}
