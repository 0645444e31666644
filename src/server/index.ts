export { createServer, FamezServer, type ServerOptions, type PeerInfo, type ServerEvents } from './server.js';
export { BuiltInPeer, type BuiltInDoorbell, type BuiltInPeerEvents } from './built-in-peer.js';
export { ID_POLICIES, FULL_ID_RANGE, type IdPolicy, type IdRange } from './ids.js';
export { ServerClosedError } from './server-closed.js';
export { SocketPathError } from './socket-path.js';
export {
  DELIVER_ALL,
  type ForwardingPolicy,
  type ForwardingServer,
  type SwitchedDoorbell,
  type Verdict,
} from './forwarding.js';
export { parseFdLimit, readFdLimit, switchedJoinCost, switchedTotal, type FdLimit } from './fd-budget.js';
