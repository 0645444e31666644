export { DEFAULT_FABRIC_SOCKET, type LinkState } from './common.js';
export {
  createFabric,
  Fabric,
  type FabricOptions,
  type FabricEvents,
  type FabricMessage,
  type FabricMode,
} from './fabric.js';
export {
  Switch,
  DEFAULT_SID,
  SWITCH_CCLASS,
  DRIVERLESS_CCLASS,
  type Port,
  type SwitchMode,
  type Action,
  type SendAction,
} from './switch.js';
export {
  parseRequest,
  HAND_BACK_RING,
  linkAck,
  ctlWrite,
  standaloneAck,
  linkRfc,
  PEER_ATTRIBUTE_REQUEST,
  type Request,
  type CtlWrite,
  type PeerAttributes,
} from './link.js';
export {
  parsePayload,
  formatPayload,
  parseArguments,
  formatArguments,
  words,
  TRACKER_TOKEN,
  type Payload,
} from './payload.js';
export { DEFAULT_MAILBOX, mailboxPath } from './mailbox-file.js';
export { switchDiagram } from './diagram.js';
export {
  connectFabric,
  FabricPeer,
  type FabricPeerOptions,
  type FabricPeerEvents,
  type ChatMessage,
  type PeerEntry,
  type OwnLink,
} from './peer.js';
