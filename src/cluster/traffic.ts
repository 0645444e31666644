// What arrives from other nodes, and the cluster's fault changes. Every
// message is checked against its subject (a node speaks only on its own, so
// NATS permissions decide who may speak as whom), taken only from a member,
// and naming only what that node holds; directed traffic and fault changes
// wait (bounded) while a check of their sender is under way.
import { FaultError, checkChange, type FaultChange } from '../switching/faults.js';
import { peerLinkName } from '../switching/topology.js';
import { changesFor, renamedChange } from './fault-sync.js';
import { FaultVersions } from './fault-versions.js';
import { Inbound, type Standing } from './inbound.js';
import { hostLinkName } from './links.js';
import type { Clock } from './bus.js';
import type { HostLinks } from './links.js';
import type { Heard, Membership } from './membership.js';
import { TokenBucket } from '../switching/token-bucket.js';
import type { ClusterPlan } from './options.js';
import {
  decodeWire,
  senderOf,
  type Directed,
  type FaultMessage,
  type RemotePeer,
  type subjects,
  type WireMessage,
} from './wire.js';

/** What the traffic needs of its node (ClusterNode). */
export interface TrafficNode {
  readonly plan: Pick<ClusterPlan, 'node' | 'timeoutMs' | 'maxNodes'>;
  readonly instance: string;
  readonly clock: Clock;
  readonly links: HostLinks;
  readonly members: Membership;
  readonly switched: boolean;
  readonly subjects: ReturnType<typeof subjects>;
  announceFull(): void;
  announceSoon(): void;
  giveSpare(): void;
  linkNames(): string[];
  localPeers(): RemotePeer[];
  publish(subject: string, message: WireMessage): void;
  heardFromBus(): void;
  warn(kind: string, line: string): void;
}

/** Where accepted traffic goes. */
export interface TrafficOut {
  directed(message: Directed): void;
  remoteFault(change: FaultChange): void;
}

/** Messages that may wait for one node's checks. */
const MAX_WAITING = 1024;

export class ClusterTraffic {
  readonly #node: TrafficNode;
  readonly #out: TrafficOut;
  readonly #versions = new FaultVersions();
  readonly #directed: Inbound<Directed>;
  readonly #faults: Inbound<FaultMessage>;
  /** Requests for a node's whole state: a few a second, whatever others send. */
  readonly #wants: TokenBucket;

  constructor(node: TrafficNode, out: TrafficOut) {
    this.#node = node;
    this.#out = out;
    this.#wants = new TokenBucket(20, 20, node.clock.now());
    const limits = { maxWaitMs: node.plan.timeoutMs, maxQueued: MAX_WAITING };
    this.#directed = new Inbound<Directed>(
      {
        standing: (m) => this.#directedStanding(m),
        deliver: (m) => this.#deliver(m),
        refuse: (m, reason) =>
          node.warn(
            'refused',
            `cluster: a ${m.t === 'msg' ? 'message' : m.t} from ${describeSender(m)} was not delivered: ${reason}`,
          ),
      },
      node.clock,
      limits,
    );
    this.#faults = new Inbound<FaultMessage>(
      {
        standing: (m) => this.#faultStanding(m),
        deliver: (m) => this.#remoteFault(m),
        refuse: (m, reason) =>
          node.warn(
            node.members.isMember(m.node) ? 'fault-refused' : 'fault-not-member',
            `cluster: a fault change from node ${m.node} was ignored: ${reason}`,
          ),
      },
      node.clock,
      limits,
    );
  }

  receive(subject: string, data: Uint8Array): void {
    const node = this.#node;
    node.heardFromBus();
    // What a node that is not known sends is read only when it may be a heartbeat there is room for.
    const sender = senderOf(subject);
    if (
      sender !== node.plan.node &&
      !node.members.knows(sender ?? '') &&
      (isDirected(subject) || !node.members.hasRoom)
    )
      return node.warn(
        'stranger',
        `cluster: ignored traffic from node ${sender}, which is not in the cluster` +
          (node.members.hasRoom ? '' : ` (no room for more: ${node.plan.maxNodes} hosts at most, --cluster-max-hosts)`),
      );
    const message = decodeWire(data);
    if (typeof message === 'string') return node.warn(`bad:${message}`, `cluster: ignored ${message} from NATS`);
    if (message.node !== sender)
      return node.warn('forged', `cluster: ignored a message whose sender is not the node of its subject`);
    if (message.node === node.plan.node) {
      if (message.t === 'state' && message.instance !== node.instance)
        node.warn(
          'same-node',
          `cluster: another instance calls itself node ${message.node}: check --node on every host`,
        );
      return;
    }
    switch (message.t) {
      case 'state':
        return node.members.heard(message, node.clock.now());
      case 'beat':
        return this.#wantIf(message.node, node.members.beat(message, node.clock.now()));
      case 'peers':
        return this.#wantIf(message.node, node.members.changes(message, node.clock.now()));
      case 'hello':
      case 'want':
        return node.announceSoon();
      case 'give':
        if (node.members.isMember(message.node)) node.giveSpare();
        return;
      case 'bye':
        if (node.members.instanceOf(message.node) === message.instance)
          node.members.forget(message.node, `node ${message.node} left`);
        return;
      case 'fault':
        return this.#faults.receive(message);
      case 'batch':
        return message.items.forEach((item) => this.#directed.receive(item));
      default:
        return this.#directed.receive(message);
    }
  }

  /**
   * A node's list here is behind (a change was missed): it is asked for its whole list. A node not known here
   * (forgotten in an outage) is told hello on all, as a node that joins does: a message to it alone would be a
   * stranger's there too, and dropped.
   */
  #wantIf(from: string, heard: Heard): void {
    const node = this.#node;
    if (heard === 'current' || this.#wants.take(1, node.clock.now()) === 0) return;
    if (heard === 'behind') node.publish(node.subjects.to(from), { t: 'want', node: node.plan.node });
    else node.publish(node.subjects.all, { t: 'hello', node: node.plan.node });
  }

  /** A check of `node` or of one of its peers ended. */
  settle(node: string): void {
    this.#faults.settle(node);
    this.#directed.settle(node);
  }

  /** `node` left: what waits from it is refused, and its link's version forgotten. */
  forget(node: string): void {
    this.#directed.forget(node);
    this.#faults.forget(node);
    this.#versions.forget(hostLinkName(node));
    this.#node.links.forget(hostLinkName(node));
  }

  close(): void {
    this.#directed.close();
    this.#faults.close();
  }

  /** Applies a fault change here and tells every other node. */
  applyFault(change: FaultChange): FaultChange {
    const node = this.#node;
    node.links.apply(change, node.linkNames());
    const at = Date.now();
    this.#versions.admit(change.link, { at, node: node.plan.node });
    node.publish(node.subjects.all, { t: 'fault', node: node.plan.node, at, changes: [change] });
    return change;
  }

  /** Tells a node that has just joined the faults on its link to this one and on this node's peers' links. */
  catchUp(to: string): void {
    // Its state first: NATS keeps one publisher's order, so `to` knows this node before its faults arrive.
    this.#node.announceFull();
    const concerned = new Set([hostLinkName(to), ...this.#node.localPeers().map((peer) => peerLinkName(peer.id))]);
    this.#sendFaults(this.#node.subjects.to(to), (link) => concerned.has(link));
  }

  /** NATS is back: every node is told this node's latest change to each link; the later change wins everywhere. */
  resendFaults(): void {
    this.#sendFaults(this.#node.subjects.all, () => true);
  }

  #sendFaults(subject: string, concerns: (link: string) => boolean): void {
    const node = this.#node;
    for (const [link, version] of this.#versions.entries()) {
      if (!concerns(link)) continue;
      const changes = changesFor(link, node.links.faults.get(link) ?? {});
      const by = version.node === node.plan.node ? {} : { by: version.node };
      node.publish(subject, { t: 'fault', node: node.plan.node, at: version.at, ...by, changes });
    }
  }

  /** A ring or message is its sender's node's to send; an ack answers what this node sent (the fabric checks which). */
  #directedStanding(m: Directed): Standing {
    const members = this.#node.members;
    const from = m.t === 'ack' ? undefined : m.from;
    if (from !== undefined) {
      const owner = members.ownerOf(from);
      if (owner === m.node) return 'ready';
      if (owner !== undefined) return 'refused';
      // A member's peer not known here: not in the list the message was sent with, refused; else its announcement
      // may be on the way, or missed (asked for again).
      if (members.isMember(m.node!) && !members.busy(m.node!)) {
        if (m.version !== undefined && (members.versionOf(m.node!) ?? -1) >= m.version) return 'refused';
        this.#wantIf(m.node!, 'behind');
        return 'waiting';
      }
    } else if (members.isMember(m.node!) && !members.busy(m.node!)) return 'ready';
    return members.busy(m.node!) ? 'waiting' : 'refused';
  }

  #deliver(message: Directed): void {
    const node = this.#node;
    // The sender faulted the host link; the receiver's own link is faulted here.
    const host = [hostLinkName(message.node!)];
    const peer = message.t === 'ack' ? [] : [peerLinkName(message.to)];
    const crossing = node.switched ? { faulted: [], counted: [...host, ...peer] } : { faulted: peer, counted: host };
    node.links.pass(crossing, message, () => this.#out.directed(message));
  }

  /** Fault changes come from members, about links this node has (as it names them). */
  #faultStanding(m: FaultMessage): Standing {
    const node = this.#node;
    if (!node.members.isMember(m.node)) return node.members.busy(m.node) ? 'waiting' : 'refused';
    const links = new Set(node.linkNames());
    const known = m.changes.every((change) => {
      const renamed = renamedChange(node.plan.node, m.node, change);
      return renamed === undefined || renamed.link === undefined || links.has(renamed.link);
    });
    return known ? 'ready' : node.members.busy(m.node) ? 'waiting' : 'refused';
  }

  #remoteFault({ node: from, at, by, changes }: FaultMessage): void {
    const node = this.#node;
    const renamed = changes.flatMap((change) => renamedChange(node.plan.node, from, change) ?? []);
    if (renamed.length === 0 || !this.#versions.admit(renamed[0]!.link, { at, node: by ?? from })) return;
    for (const change of renamed) {
      try {
        node.links.record(checkChange(change));
      } catch (error) {
        if (!(error instanceof FaultError)) throw error;
        continue;
      }
      this.#out.remoteFault(change);
    }
  }
}

const isDirected = (subject: string): boolean => subject.split('.')[3] === 'to';

function describeSender(m: Directed): string {
  const from = m.t === 'ack' ? undefined : m.from;
  return `${from === undefined ? 'a peer' : `peer ${from}`} on host ${m.node}`;
}
