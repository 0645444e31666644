// Cluster nodes for the tests: a clustered fabric in this process, and a
// FAME-Z peer on it whose messages are collected.
import type { TestContext } from 'node:test';
import { join } from 'node:path';
import { connectFabric, type ChatMessage, type FabricOptions, type FabricPeer } from '../../src/fabric/index.js';
import { listenClusteredFabric, type ClusteredFabric } from '../../src/cluster/index.js';
import { tempDir } from '../server/helpers.js';
import { NatsServer } from './nats-server.js';

export async function fabricHost(
  t: TestContext,
  dir: string,
  node: string,
  url: string,
  timeoutMs = 2000,
  options: FabricOptions = {},
): Promise<ClusteredFabric> {
  const clustered = await listenClusteredFabric(
    { socketPath: join(dir, `${node}.sock`), mailbox: join(dir, `${node}.mailbox`), ...options },
    { url, name: 'fab', node, timeoutMs },
  );
  t.after(() => clustered.close());
  return clustered;
}

export async function fabricPeer(t: TestContext, host: ClusteredFabric, inbox: ChatMessage[]): Promise<FabricPeer> {
  const peer = await connectFabric({ path: host.fabric.socketPath });
  t.after(() => peer.close());
  peer.on('message', (message) => inbox.push(message));
  return peer;
}

/**
 * A nats-server and two clustered fabrics on it, named `names`, each leaving the other after `timeoutMs` of silence.
 */
export async function twoHosts(
  t: TestContext,
  names: [string, string],
  timeoutMs?: number,
): Promise<{ nats: NatsServer; hosts: [ClusteredFabric, ClusteredFabric] }> {
  const nats = await NatsServer.start(t);
  const dir = tempDir(t);
  const host = (name: string): Promise<ClusteredFabric> => fabricHost(t, dir, name, nats.url, timeoutMs);
  return { nats, hosts: [await host(names[0]), await host(names[1])] };
}

/** A nats-server and two clustered fabrics on it, west and east. */
export async function westAndEast(t: TestContext): Promise<{ west: ClusteredFabric; east: ClusteredFabric }> {
  const [west, east] = (await twoHosts(t, ['west', 'east'])).hosts;
  return { west, east };
}
