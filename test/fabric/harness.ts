// A fabric for a test over real sockets: mailbox peers and plain clients that
// close with it, its warnings and errors collected, and an fd-leak check.
import type { TestContext } from 'node:test';
import { join } from 'node:path';
import { createFabric, type Fabric, type FabricOptions } from '../../src/fabric/index.js';
import { connect, type FamezClient } from '../../src/client/index.js';
import { fdBaseline, tempDir } from '../server/helpers.js';
import { MailboxPeer } from './mailbox-peer.js';

export interface Harness {
  /** The test's scratch folder (socket and mailbox are in it). */
  dir: string;
  fabric: Fabric;
  path: string;
  warnings: string[];
  errors: Error[];
  peer(names?: { nodename: string; cclass: string }): Promise<MailboxPeer>;
  client(): Promise<FamezClient>;
  /** Closes every peer and the fabric, then checks the fds are back to the baseline. */
  done(): Promise<void>;
}

/** A fabric on a socket and mailbox in a scratch folder, closed at the test's end. */
export async function scratchFabric(t: TestContext, options: FabricOptions = {}): Promise<Fabric> {
  const dir = tempDir(t);
  const fabric = createFabric({ socketPath: join(dir, 'sock'), mailbox: join(dir, 'mailbox'), ...options });
  t.after(() => fabric.close());
  await fabric.listen();
  return fabric;
}

export async function start(t: TestContext, options: FabricOptions = {}): Promise<Harness> {
  const fds = fdBaseline();
  const dir = tempDir(t);
  const path = join(dir, 'sock');
  const fabric = createFabric({ socketPath: path, mailbox: join(dir, 'mailbox'), ...options });
  const warnings: string[] = [];
  const errors: Error[] = [];
  fabric.on('warning', (text) => warnings.push(text));
  fabric.on('error', (error) => errors.push(error));
  const closers: Array<{ close(): void }> = [];
  const closeAll = async (): Promise<void> => {
    closers.forEach((c) => c.close());
    await fabric.close();
  };
  t.after(closeAll);
  await fabric.listen();
  return {
    fabric,
    path,
    dir,
    warnings,
    errors,
    async peer(names) {
      const peer = await MailboxPeer.connect(path, names);
      closers.push(peer);
      return peer;
    },
    async client() {
      const client = await connect({ path, timeoutMs: 5000 });
      closers.push(client);
      return client;
    },
    async done() {
      await closeAll();
      await fds.check();
    },
  };
}
