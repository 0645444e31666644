// Many light, raw ivshmem peers in one process, built on src/sys directly: a
// socket and a Watcher each, reading 8-byte messages and closing every fd they
// receive at once (1000 peers x 8 vectors would otherwise exhaust the fd limit).
// Usage: join-farm.js SOCKET VECTORS
// On {join, peers: N}: N peers join one by one; a join is complete when the
// newcomer has its own `vectors` eventfds (the end of its handshake). Then it
// waits until every message the server owes has arrived and replies {joined}.
// Peers stay connected until {exit}.
import { hrtime } from 'node:process';
import * as sys from '../../src/sys/index.js';
import { childSetup, tell, type Message } from '../lib.js';

childSetup();
const [path, vectorsText] = process.argv.slice(2);
const vectors = Number(vectorsText);
if (!path || !(vectors >= 1)) throw new Error('usage: join-farm.js SOCKET VECTORS');

interface Peer {
  fd: sys.Fd;
  watcher: sys.Watcher;
  /** Messages received so far. */
  received: number;
  id: number;
  own: number;
  bytes: Uint8Array;
  have: number;
  open: boolean;
}

const peers: Peer[] = [];
let messages = 0;
let fdsReceived = 0;
let lost = 0;
let lastMessageAt = hrtime.bigint();
/** Resolves when the newcomer's handshake ends. */
let onJoined: (() => void) | undefined;
/** Called once `messages` reaches `want`. */
let want = Infinity;
let onDrained: (() => void) | undefined;

function value(bytes: Uint8Array): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, 8);
  return view.getInt32(4, true) * 2 ** 32 + view.getUint32(0, true);
}

function readable(peer: Peer): void {
  for (;;) {
    let got: sys.Received | null;
    try {
      got = sys.receive(peer.fd, 8 - peer.have);
    } catch {
      return gone(peer);
    }
    if (got === null) break;
    for (const fd of got.fds) sys.close(fd);
    fdsReceived += got.fds.length;
    if (got.bytes.length === 0) return gone(peer);
    peer.bytes.set(got.bytes, peer.have);
    peer.have += got.bytes.length;
    if (peer.have < 8) continue;
    peer.have = 0;
    messages++;
    const n = peer.received++;
    if (n === 1) peer.id = value(peer.bytes);
    else if (n >= 3 && got.fds.length === 1 && value(peer.bytes) === peer.id && ++peer.own === vectors) onJoined?.();
  }
  lastMessageAt = hrtime.bigint();
  if (messages >= want) onDrained?.();
}

function gone(peer: Peer): void {
  if (!peer.open) return;
  peer.open = false;
  lost++;
  peer.watcher.close();
  sys.close(peer.fd);
}

function addPeer(): Promise<void> {
  return new Promise((resolve) => {
    onJoined = () => {
      onJoined = undefined;
      resolve();
    };
    const fd = sys.connect(path!);
    const peer: Peer = {
      fd,
      received: 0,
      id: -1,
      own: 0,
      bytes: new Uint8Array(8),
      have: 0,
      open: true,
      watcher: sys.Watcher.fd(fd, (ready) => {
        if (ready.error !== undefined) gone(peer);
        else readable(peer);
      }),
    };
    peer.watcher.start(sys.READABLE);
    peers.push(peer);
  });
}

/** Every message the server sends for n peers joining one by one with v vectors. */
function expected(n: number, v: number): number {
  // Newcomer k (0-based): version, id, memory; k*v announcements of the others;
  // its own v eventfds; and each of the k others hears of it v times.
  return 3 * n + n * v + v * n * (n - 1);
}

async function join(count: number): Promise<void> {
  const joinNs: number[] = [];
  const begin = hrtime.bigint();
  for (let i = 0; i < count; i++) {
    const t0 = hrtime.bigint();
    await addPeer();
    joinNs.push(Number(hrtime.bigint() - t0));
  }
  const joinedAt = hrtime.bigint();
  want = expected(count, vectors);
  // The others' announcements may still be in flight: wait for all of them
  // (or for 5 s of silence, which would mean the server dropped something).
  let end = lastMessageAt;
  if (messages < want) {
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        if (hrtime.bigint() - lastMessageAt > 5_000_000_000n) onDrained!();
      }, 100);
      onDrained = () => {
        onDrained = undefined;
        clearInterval(timer);
        resolve();
      };
    });
    end = lastMessageAt;
  }
  tell({
    type: 'joined',
    peers: count,
    vectors,
    joinNs,
    joinSeconds: Number(joinedAt - begin) / 1e9,
    totalSeconds: Number(end - begin) / 1e9,
    messages,
    expected: want,
    fdsReceived,
    lost,
  });
}

process.on('message', (message: Message) => {
  if (message.type === 'join') void join(message.peers as number);
  else if (message.type === 'exit') {
    for (const peer of peers) {
      if (!peer.open) continue;
      peer.watcher.close();
      sys.close(peer.fd);
    }
    process.exit(0);
  }
});
tell({ type: 'ready' });
