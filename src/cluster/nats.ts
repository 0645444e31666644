// The only door to NATS. Its packages are imported here, dynamically, when a
// cluster is joined: without --cluster nothing of NATS is loaded.
import { readFileSync } from 'node:fs';
import type { NatsConnection } from '@nats-io/transport-node';
import type { KV } from '@nats-io/kv';
import { ClusterError, type ClusterPlan } from './options.js';

export type { NatsConnection, KV };

/** Connects with the plan's credentials and TLS; keeps reconnecting for ever once connected. */
export async function connectNats(plan: ClusterPlan): Promise<NatsConnection> {
  const nats = await import('@nats-io/transport-node');
  const { user, pass, token, credsFile, tls } = plan.options;
  let authenticator;
  if (credsFile !== undefined) {
    let creds: Uint8Array;
    try {
      creds = readFileSync(credsFile);
    } catch (error) {
      throw new ClusterError(
        `NATS credentials file ${credsFile}: ${(error as Error).message}: give a readable .creds file`,
      );
    }
    authenticator = nats.credsAuthenticator(creds);
  }
  try {
    return await nats.connect({
      servers: plan.url
        .split(',')
        .map((url) => url.trim())
        .filter((url) => url !== ''),
      name: `famez ${plan.name}/${plan.node}`,
      user,
      pass,
      token,
      authenticator,
      tls: tls && { caFile: tls.caFile, certFile: tls.certFile, keyFile: tls.keyFile },
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      pingInterval: plan.heartbeatMs * 2,
      timeout: Math.min(plan.timeoutMs, 10_000),
    });
  } catch (error) {
    const message = (error as Error).message;
    const fix = /authori[sz]ation|authentication|permission/i.test(message)
      ? 'check --nats-user with FAMEZ_NATS_PASSWORD, FAMEZ_NATS_TOKEN or --nats-creds'
      : 'start nats-server with -js there, or fix --cluster';
    throw new ClusterError(`cannot reach NATS at ${plan.url}: ${message}: ${fix}`);
  }
}

/** The cluster's KV bucket (made by the first node; entries live for the time-out unless refreshed). */
export async function openBucket(nc: NatsConnection, plan: ClusterPlan): Promise<KV> {
  const { Kvm } = await import('@nats-io/kv');
  try {
    return await new Kvm(nc).create(`famez-${plan.name}`, { ttl: plan.timeoutMs, history: 1 });
  } catch (error) {
    throw new ClusterError(
      `cluster ${plan.name}: cannot open its KV bucket famez-${plan.name} at ${plan.url}: ${(error as Error).message}: ` +
        'start nats-server with JetStream (-js), and give every node the same --cluster-timeout',
    );
  }
}
