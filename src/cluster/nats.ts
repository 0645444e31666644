// The only door to NATS: the cluster bus over a NATS connection and a
// JetStream KV bucket. Its packages are imported here, dynamically, when a
// cluster is joined: without --cluster nothing of NATS is loaded.
import { readFileSync } from 'node:fs';
import type { NatsConnection } from '@nats-io/transport-node';
import type { KV } from '@nats-io/kv';
import { BusError, ClaimConflict, type ClaimStore, type ClusterBus } from './bus.js';
import { ClusterError, type ClusterPlan } from './options.js';
import { settledWithin } from './within.js';

/** JetStream's "wrong last sequence": the key is someone else's now. */
const WRONG_LAST_SEQUENCE = 10071;
/** JetStream's "stream not found": the bucket is gone (nats-server lost its store). */
const STREAM_NOT_FOUND = 10059;

/** A JetStream error's code (nats.js's errors carry one). */
const codeOf = (error: unknown): unknown => (error as { code?: unknown } | undefined)?.code;
/** The cluster's KV bucket. */
const bucketOf = (plan: Pick<ClusterPlan, 'name'>): string => `famez-${plan.name}`;

/** Connects and opens the cluster's bucket: the bus a node runs on. */
export async function connectNatsBus(plan: ClusterPlan): Promise<ClusterBus> {
  const nc = await connectNats(plan);
  try {
    return new NatsBus(nc, plan, await openBucket(nc, plan));
  } catch (error) {
    await nc.close().catch(() => {});
    throw error;
  }
}

/** The inbox prefix of a node's replies: its own, so that NATS permissions can keep other users from reading them. */
export function inboxPrefix(plan: Pick<ClusterPlan, 'name' | 'node'>): string {
  return `_INBOX_famez_${plan.name}_${plan.node}`;
}

class NatsBus implements ClusterBus {
  readonly claims: ClaimStore;
  readonly #nc: NatsConnection;
  readonly #plan: ClusterPlan;
  #kv: KV;
  /** KV calls under way: closing waits for them, since one cut by the close may leave nats.js's timers running. */
  readonly #calls = new Set<Promise<unknown>>();
  readonly #warnings: ((kind: string, line: string) => void)[] = [];
  /** A look at whether the bucket still exists, after a KV call failed (one at a time). */
  #looking?: Promise<void>;

  constructor(nc: NatsConnection, plan: ClusterPlan, kv: KV) {
    this.#nc = nc;
    this.#plan = plan;
    this.#kv = kv;
    this.claims = natsClaims(<T>(call: (kv: KV) => Promise<T>) => this.#call(call));
  }

  #call<T>(call: (kv: KV) => Promise<T>): Promise<T> {
    if (this.#nc.isClosed()) return Promise.reject(new BusError('the connection to NATS is closed'));
    const running = call(this.#kv);
    const settled: Promise<unknown> = running.then(
      () => this.#calls.delete(settled),
      (error: unknown) => {
        this.#calls.delete(settled);
        if (codeOf(error) !== WRONG_LAST_SEQUENCE) this.#lookAtBucket();
      },
    );
    this.#calls.add(settled);
    return running;
  }

  /**
   * A KV call failed: if the bucket is gone (nats-server came back without its store, where every call fails or
   * times out), it is made again, and the claims' next refresh takes every key anew.
   */
  #lookAtBucket(): void {
    this.#looking ??= this.#kv
      .status()
      .then(
        () => {},
        async (error: unknown) => {
          if (codeOf(error) !== STREAM_NOT_FOUND || this.#nc.isClosed()) return;
          this.#kv = await openBucket(this.#nc, this.#plan);
          const line =
            `cluster: the KV bucket ${bucketOf(this.#plan)} was gone from NATS (nats-server restarted without its ` +
            'store?): made again; this host claims its name and ids anew';
          for (const warn of this.#warnings) warn('bucket-made-again', line);
        },
      )
      .catch(() => {}) // NATS is out of reach: the next failed call looks again
      .finally(() => {
        this.#looking = undefined;
      });
  }

  onWarning(listener: (kind: string, line: string) => void): void {
    this.#warnings.push(listener);
  }

  get closed(): boolean {
    return this.#nc.isClosed();
  }

  publish(subject: string, data: Uint8Array): void {
    try {
      this.#nc.publish(subject, data);
    } catch (error) {
      throw new BusError((error as Error).message);
    }
  }

  subscribe(subject: string, receive: (subject: string, data: Uint8Array) => void): void {
    this.#nc.subscribe(subject, {
      callback: (error, msg) => {
        if (!error) receive(msg.subject, msg.data);
      },
    });
  }

  onStatus(listener: (up: boolean) => void): void {
    void (async () => {
      for await (const status of this.#nc.status()) {
        if (status.type === 'disconnect') listener(false);
        else if (status.type === 'reconnect') listener(true);
      }
    })();
  }

  /**
   * Lets KV calls end and drains, each for a second at most (a connection still reconnecting would hold it up), then
   * closes.
   */
  async close(): Promise<void> {
    if (this.#nc.isClosed()) return;
    await settledWithin(Promise.allSettled(this.#calls), 1000);
    await settledWithin(this.#nc.drain(), 1000);
    if (!this.#nc.isClosed()) await this.#nc.close().catch(() => {});
  }
}

const conflicting = <T>(promise: Promise<T>): Promise<T> =>
  promise.catch((error: unknown) => {
    throw codeOf(error) === WRONG_LAST_SEQUENCE ? new ClaimConflict((error as Error).message) : error;
  });

function natsClaims(call: <T>(call: (kv: KV) => Promise<T>) => Promise<T>): ClaimStore {
  return {
    create: (key, value) => conflicting(call((kv) => kv.create(key, value))),
    update: (key, value, revision) => conflicting(call((kv) => kv.update(key, value, revision))),
    get: (key) =>
      call(async (kv) => {
        const entry = await kv.get(key);
        return entry?.operation === 'PUT' ? entry.string() : undefined;
      }),
    keys: (prefix) =>
      call(async (kv) => {
        const keys: string[] = [];
        for await (const key of await kv.keys(`${prefix}>`)) keys.push(key);
        return keys;
      }),
    purge: (key, revision) =>
      call(async (kv) => {
        await kv.purge(key, { previousSeq: revision });
      }),
  };
}

/** Connects with the plan's credentials and TLS; keeps reconnecting for ever once connected. */
async function connectNats(plan: ClusterPlan): Promise<NatsConnection> {
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
      inboxPrefix: inboxPrefix(plan),
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
async function openBucket(nc: NatsConnection, plan: ClusterPlan): Promise<KV> {
  const { Kvm } = await import('@nats-io/kv');
  const bucket = bucketOf(plan);
  let kv: KV;
  let ttl: number;
  let replicas: number;
  try {
    kv = await new Kvm(nc).create(bucket, { ttl: plan.timeoutMs, history: 1, replicas: plan.replicas });
    ({ ttl, replicas } = await kv.status());
  } catch (error) {
    throw new ClusterError(
      `cluster ${plan.name}: cannot open its KV bucket ${bucket} at ${plan.url}: ${(error as Error).message}: ` +
        'start nats-server with JetStream (-js), and give every node the same --cluster-timeout and --cluster-replicas',
    );
  }
  // An existing bucket keeps what it was made with: hosts with another time-out would drop each other between beats,
  // and a host told to keep three copies would run on one without a word.
  const unlike = [
    { option: 'cluster-timeout', made: ttl, asked: plan.timeoutMs, says: `keeps claims for ${ttl} ms` },
    {
      option: 'cluster-replicas',
      made: replicas,
      asked: plan.replicas,
      says: `has ${replicas} cop${replicas === 1 ? 'y' : 'ies'} on NATS`,
    },
  ].find(({ made, asked }) => made !== asked);
  if (unlike) {
    const { option, made, asked, says } = unlike;
    throw new ClusterError(
      `cluster ${plan.name}: its KV bucket ${bucket} ${says} (the --${option} it was made with), not ${asked}: ` +
        `give every host --${option} ${made}, or with no host running remove the bucket (nats kv rm ${bucket}) to ` +
        'change it',
    );
  }
  return kv;
}
