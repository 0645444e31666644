// famez server started the way systemd starts it: systemd-socket-activate
// listens, execs famez on the first connection with the socket as fd 3
// (LISTEN_FDS/LISTEN_PID), and QEMU's ivshmem-client and a famez client are
// served on it and ring each other. The socket file stays systemd's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { LineProcess } from '../helpers/line-process.js';
import { MAIN } from '../cli/cli.js';
import { waitFor } from '../helpers/fds.js';
import { FamezConsole, QemuClient, skip, useQemuTools } from '../interop/tools.js';
import { createServer, sys } from '../../src/index.js';
import { takeSystemdListener } from '../../src/server/socket-activation.js';

const dir = useQemuTools();

test("an inherited listening socket (systemd-socket-activate) serves QEMU's ivshmem-client and a famez client", {
  skip,
  timeout: 60_000,
}, async (t) => {
  const socketPath = join(dir, 'activated.sock');
  const shm = `famez-activation-${process.pid}`;
  t.after(() => rmSync(`/dev/shm/${shm}`, { force: true }));
  const server = new LineProcess(t, 'systemd-socket-activate', 'systemd-socket-activate', [
    '-l',
    socketPath,
    process.execPath,
    MAIN,
    'server',
    '-S',
    socketPath,
    '-M',
    shm,
    '-l',
    '1M',
    '-n',
    '2',
  ]);
  await waitFor(() => existsSync(socketPath), 'systemd-socket-activate to listen', 10_000, 20);

  // The first connection makes systemd-socket-activate exec famez, which takes fd 3.
  const qemu = new QemuClient(t, socketPath);
  await qemu.connected();
  await server.line(/^.* listening on .*: shm famez-activation-\d+ \(1 MiB\), 2 vectors/);
  const famez = new FamezConsole(t, socketPath);
  const famezId = await famez.connected();
  const qemuDump = await waitFor(
    async () => {
      const dump = await qemu.dump();
      return dump.peers.size === 2 && dump;
    },
    "QEMU's client to see the famez client",
    10_000,
    50,
  );
  assert.ok(qemuDump.peers.has(famezId));

  // Doorbells both ways through the inherited socket's server.
  await qemu.hears(() => famez.send(`int ${qemuDump.ourId} 1`), qemuDump.ourId, 1);
  await famez.hears(() => qemu.send(`int ${famezId} 0`), famezId, 0);

  server.child.kill('SIGTERM');
  assert.deepEqual(await server.exit(), { code: 0, signal: null });
  assert.ok(existsSync(socketPath), 'the socket file belongs to whoever made it (systemd): famez leaves it');
});

test('LISTEN_FDS is taken only when LISTEN_PID names this process, and only once', () => {
  const env: NodeJS.ProcessEnv = { LISTEN_PID: '42', LISTEN_FDS: '1', LISTEN_FDNAMES: 'famez.socket' };
  assert.equal(takeSystemdListener({ ...env }, 41), undefined);
  assert.equal(takeSystemdListener({ LISTEN_PID: '42', LISTEN_FDS: '0' }, 42), undefined);
  assert.equal(takeSystemdListener(env, 42), 3);
  assert.deepEqual(env, {}, 'the variables are removed, as sd_listen_fds(1) does');
});

test('an inherited fd that is not a listening unix stream socket is refused', async () => {
  const eventfd = sys.createEventfd();
  try {
    const server = createServer({ listenFd: eventfd, memory: { kind: 'memfd', size: 4096 } });
    await assert.rejects(server.listen(), /ENOTSOCK/);
  } finally {
    sys.close(eventfd);
  }
});
