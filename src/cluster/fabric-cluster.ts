// `famez fabric --cluster`: FAME-Z's messages across hosts, one in flight per
// slot. Sender S (here) writes its slot and rings remote R; famez reads S's
// slot and sends it to R's node, which writes it into S's slot of its own
// mailbox and rings R there. When R hands that slot back, R's node says so
// and S's slot is handed back here. Until then S's slot stays full, so S
// sends nothing else; a message to a host that is gone fails in S's own
// time-out, as a local one would.
import { createFabric, type Fabric, type FabricOptions } from '../fabric/index.js';
import { MailboxError, type Mailbox } from '../mailbox/index.js';
import { qualifiedName } from '../fabric/peer-names.js';
import { Bridge } from './bridge.js';
import { isHostLink } from './links.js';
import { routerFaultsPeerLinks } from './router-faults.js';
import { listenClustered } from './assembly.js';
import { idSpace } from './id-space.js';
import { ClusterNode, type ClusterNodeDeps } from './node.js';
import type { ClusterOptions } from './options.js';
import { SlotWatch } from './slot-watch.js';
import type { Directed } from './wire.js';

export interface ClusteredFabric {
  fabric: Fabric;
  node: ClusterNode;
  close(): Promise<void>;
}

/**
 * Carries the fabric's messages across hosts. Switched, the local router
 * stands between local and remote peers both ways (remote peers are switched
 * built-in peers): their peer links' faults and counters apply here too.
 */
export function attachFabric(fabric: Fabric, node: ClusterNode): void {
  const mailbox = fabric.mailbox;
  const warn = (text: string): void => {
    fabric.emit('warning', text);
  };
  /** Our senders' messages out: the sequence number each waits to hear taken, and the node whose peer must take it. */
  const out = new Map<number, { seq: number; node: string }>();
  let seq = 0;
  const watch = new SlotWatch(
    mailbox,
    Math.max(60_000, node.plan.timeoutMs),
    (from, taken) => node.sendTo(from, { t: 'ack', from, seq: taken }),
    node.clock,
  );
  const bridge = new Bridge(fabric.server, node, {
    names: (id) => namesOf(mailbox, id),
    added: (peer, host) => {
      try {
        // Names that say where: a remote peer is NAME@HOST in this host's mailbox, so every reader of it shows its
        // host.
        mailbox.setNames(peer.id, { nodename: qualifiedName(peer.nodename ?? '', host), cclass: peer.cclass ?? '' });
        // Its nodename may place it in the fabric file's topology.
        fabric.router?.peerChanged(peer.id);
      } catch (error) {
        warn(`remote peer ${peer.id}: its names are not shown: ${(error as Error).message}`);
      }
    },
    doorbell: (to, { vector: from, count }) => {
      watch.poke();
      if (!bridge.isLocal(from) || mailbox.isFree(from)) {
        node.sendTo(to, { t: 'ring', to, vector: from, count }, bridge.isLocal(from) ? from : undefined);
        return;
      }
      let text: string;
      try {
        text = mailbox.peek(from);
      } catch (error) {
        if (!(error instanceof MailboxError)) throw error;
        mailbox.handBack(from);
        return warn(`peer ${from} to remote peer ${to}: ${error.message}: slot handed back, nothing sent`);
      }
      const owner = node.ownerOf(to);
      if (owner !== undefined) out.set(from, { seq: ++seq, node: owner });
      if (owner === undefined || !node.sendTo(to, { t: 'msg', from, to, seq, text }, from)) {
        const where = owner === undefined ? 'no host holds it now' : `NATS is out of reach (host ${owner})`;
        warn(
          `peer ${from}'s message to remote peer ${to}${nameOf(mailbox, to)} was not sent: ${where}; its sender times out`,
        );
      }
    },
  });
  fabric.server.on('peer-left', (peer) => {
    out.delete(peer.id);
    watch.stop(peer.id);
  });
  fabric.on('close', () => watch.close());
  // A change to the cluster's links, from here or another host, is news to the local peers as a switched fabric's is
  // (switched, the router tells of its own: the peers' links).
  const router = fabric.router;
  if (router) routerFaultsPeerLinks(node, (change) => router.apply(change), warn);
  node.links.on('fault', (change) => {
    if (!router || isHostLink(change.link)) fabric.tellFault(change);
  });
  node.on('directed', (message: Directed) => {
    if (message.t === 'ring') {
      // A fabric's vector k means "sender k has mail": the sender, if that node holds it.
      bridge.ringLocal(message.to, message.vector, message.count, bridge.sender(message.node, message.vector));
    } else if (message.t === 'msg') {
      // Only a remote sender's slot is written here; the receiver must be ours.
      if (!bridge.isRemote(message.from) || !bridge.isLocal(message.to)) return;
      mailbox.put(message.from, message.text);
      watch.start(message.from, message.seq);
      bridge.ringLocal(message.to, message.from, 1, message.from);
    } else {
      const sent = out.get(message.from);
      if (!bridge.isLocal(message.from) || sent?.seq !== message.seq || sent.node !== message.node) return;
      out.delete(message.from);
      fabric.handBack(message.from);
    }
  });
}

/** ` (NAME)` for a peer with a nodename, else nothing. */
function nameOf(mailbox: Mailbox, id: number): string {
  const name = namesOf(mailbox, id).nodename;
  return name ? ` (${name})` : '';
}

function namesOf(mailbox: Mailbox, id: number): { nodename?: string; cclass?: string } {
  try {
    return { nodename: mailbox.nodename(id), cclass: mailbox.cclass(id) };
  } catch {
    return {}; // a peer wrote bad names: it is seen without them
  }
}

/** Joins the cluster, then opens the fabric with ids unique across it. */
export async function listenClusteredFabric(
  options: FabricOptions,
  cluster: ClusterOptions,
  deps: ClusterNodeDeps = {},
): Promise<ClusteredFabric> {
  let node: ClusterNode | undefined;
  const fabric = createFabric({
    ...options,
    reserved: (id) => node?.reserved(id) ?? true,
    noFreeId: () => node?.noFreeId() ?? 'not in the cluster yet',
    moreIds: () => node?.moreIds() ?? Promise.resolve(false),
  });
  node = new ClusterNode(cluster, idSpace({ kind: 'fabric', nClients: fabric.layout.nClients, ids: options.ids }), {
    switched: fabric.router !== undefined,
    ...deps,
  });
  const joined = node;
  const clustered = await listenClustered(joined, fabric, () => attachFabric(fabric, joined));
  return { fabric, ...clustered };
}
