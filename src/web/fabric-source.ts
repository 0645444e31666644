// `famez fabric` as a web source: the switch and its ports, FAME-Z's /system,
// messages to and from the switch, and a message from the switch on request.
import type { EventEmitter } from 'node:events';
import type { Fabric, FabricMessage, Port } from '../fabric/index.js';
import { MailboxError } from '../mailbox/index.js';
import type { PeerInfo } from '../server/index.js';
import type * as sys from '../sys/index.js';
import type {
  FameZSystem,
  NodeLinkGraph,
  PeerView,
  SourceDescription,
  SourceEvent,
  TopologyNode,
  WebSource,
} from './model.js';
import { peerView } from './peer-view.js';
import { refusalEvent, serverSource, type SourceInfo } from './server-source.js';
import { listenTo } from './subscription.js';

export function fabricSource(fabric: Fabric, info: SourceInfo = {}): WebSource {
  const switchNode = (): TopologyNode | undefined => {
    const sw = fabric.switch;
    return (
      sw && {
        id: `switch-${sw.serverId}`,
        kind: 'switch',
        peer: sw.serverId,
        nodename: sw.nodename,
        cclass: sw.cclass,
        cid: sw.cid0,
        sid: sw.sid0,
        linkState: 'configured',
      }
    );
  };
  const view = (peer: PeerInfo): PeerView => {
    const sw = fabric.switch;
    if (sw && peer.id === sw.serverId)
      return { ...peerView(peer, true), nodename: sw.nodename, cclass: sw.cclass, cid: sw.cid0, sid: sw.sid0 };
    const port = fabric.ports.get(peer.id);
    if (!port && !peer.credentials) return { ...peerView(peer, true), ...slotNames(fabric, peer.id) };
    return { ...peerView(peer, !peer.credentials, port), ...(port && currentNames(fabric, port)) };
  };
  const plain = () => serverSource(fabric.server, info);
  return {
    kind: 'fabric',
    peers: () => [...fabric.server.peers.values()].sort((a, b) => a.id - b.id).map(view),
    topology(): NodeLinkGraph {
      const hub = switchNode();
      if (!hub) return { ...plain().topology(), graph: { name: fabric.socketPath, kind: 'fabric' } };
      const ports = [...fabric.ports.values()].sort((a, b) => a.id - b.id);
      return {
        directed: false,
        multigraph: false,
        graph: {
          name: fabric.socketPath,
          kind: 'fabric',
          messages: ports.reduce((sum, port) => sum + port.received + port.sent, 0),
        },
        nodes: [
          hub,
          ...ports.map((port) => ({ ...portNode(port), ...currentNames(fabric, port) })),
          ...otherBuiltIns(fabric),
        ],
        links: ports.map((port) => ({
          source: `peer-${port.id}`,
          target: hub.id,
          kind: 'port' as const,
          state: port.linkState,
        })),
      };
    },
    describe(): SourceDescription {
      const described = plain().describe();
      return {
        ...described,
        kind: 'fabric',
        memory: { ...described.memory, path: fabric.mailboxPath },
        options: {
          ...described.options,
          mode: fabric.mode,
          nClients: fabric.layout.nClients,
          serverId: fabric.layout.serverId,
        },
      };
    },
    queues: () => ({ ...plain().queues!(), outbox: fabric.outboxPending }),
    system: () => famezSystem(fabric),
    send: (to, text) => fabric.send(to, text),
    subscribe: (listener) => listenTo(fabric as EventEmitter, fabricEvents(fabric, view, listener)),
  };
}

/**
 * Built-in peers besides the switch (a cluster's remote peers), with the
 * names in their slots: no port of this switch, so no link here (a cluster's
 * switching view links each to its host's switch).
 */
function otherBuiltIns(fabric: Fabric): TopologyNode[] {
  return [...fabric.server.peers.values()]
    .filter((peer) => !peer.credentials && peer.id !== fabric.layout.serverId)
    .sort((a, b) => a.id - b.id)
    .map((peer) => ({ id: `peer-${peer.id}`, kind: 'peer', peer: peer.id, ...slotNames(fabric, peer.id) }));
}

function portNode(port: Port): TopologyNode {
  return {
    id: `peer-${port.id}`,
    kind: 'peer',
    peer: port.id,
    nodename: port.nodename,
    cclass: port.cclass,
    cid: port.cid,
    sid: port.sid,
    linkState: port.linkState,
  };
}

function fabricEvents(fabric: Fabric, view: (peer: PeerInfo) => PeerView, listener: (event: SourceEvent) => void) {
  const serverId = fabric.layout.serverId;
  const peerOf = (port: Port): PeerView | undefined => {
    const peer = fabric.server.peers.get(port.id);
    return peer && view(peer);
  };
  return {
    'port-joined': (_port: Port, peer: PeerInfo) => listener({ type: 'peer-joined', peer: view(peer) }),
    'port-left': (port: Port, reason: string) =>
      listener({ type: 'peer-left', id: port.id, nodename: port.nodename, reason }),
    'peer-refused': (who: sys.Credentials | undefined, reason: string) => listener(refusalEvent(who, reason)),
    message: ({ from, nodename, body, tracker }: FabricMessage) =>
      listener({ type: 'message', from, to: serverId, nodename, body, tracker }),
    sent: ({ to, text }: { to: number; text: string }) => listener({ type: 'sent', from: serverId, to, text }),
    link: (port: Port, change: string) => {
      const peer = peerOf(port);
      if (peer) listener({ type: 'link', change, peer });
    },
    warning: (text: string, withoutText?: string) =>
      listener(withoutText === undefined ? { type: 'warning', text } : { type: 'warning', text, withoutText }),
  };
}

/**
 * A port's names as its slot holds them now: a driver may write them without
 * ever sending the switch a message (then only the slot knows them, as
 * FAME-Z's /system shows). Until it writes any, the port's own.
 */
function currentNames(fabric: Fabric, port: Port): { nodename: string; cclass: string } {
  const slot = slotNames(fabric, port.id);
  return slot.nodename ? slot : { nodename: port.nodename, cclass: port.cclass };
}

/** FAME-Z's hardware word for a cclass: the first of its words the cclass holds, else the cclass. */
function hardware(cclass: string): string {
  const lower = cclass.toLowerCase();
  return ['qemu', 'debugger', 'adapter', 'switch'].find((word) => lower.includes(word)) ?? lower;
}

/** FAME-Z's GET /system: every slot with a nodename, each linked to the switch. */
export function famezSystem(fabric: Fabric): FameZSystem {
  const { nClients, serverId } = fabric.layout;
  const nodes: FameZSystem['nodes'] = [];
  for (let id = 1; id <= serverId; id++) {
    const names = slotNames(fabric, id);
    if (names.nodename)
      nodes.push({
        ivshmsg_id: id,
        id: names.nodename,
        cclass: names.cclass,
        hardware: hardware(names.cclass),
        group: `port_${id}`,
      });
  }
  const switchName = slotNames(fabric, serverId).nodename;
  const links = nodes
    .filter((node) => switchName && node.id !== switchName)
    .map((node) => ({ source: node.id, target: switchName }));
  return { nClients, server_ivshmsg_id: serverId, nodes, links };
}

/** A slot's names as its peer wrote them; names that cannot be read count as none. */
function slotNames(fabric: Fabric, id: number): { nodename: string; cclass: string } {
  try {
    return { nodename: fabric.mailbox.nodename(id), cclass: fabric.mailbox.cclass(id) };
  } catch (error) {
    if (error instanceof MailboxError) return { nodename: '', cclass: '' };
    throw error;
  }
}
