export { createWebServer, WebServer, type WebOptions } from './web-server.js';
export { serverSource, type SourceInfo } from './server-source.js';
export { fabricSource, famezSystem } from './fabric-source.js';
export {
  cannotListen,
  parseListenAddress,
  isLoopback,
  DEFAULT_HOST,
  FAMEZ_HTTP_PORT,
  type ListenAddress,
} from './listen-address.js';
export { readToken, TokenGate } from './auth.js';
export { RequestGuard } from './request-guard.js';
export { ENDPOINTS } from './api.js';
export type {
  WebSource,
  SourceEvent,
  PeerView,
  NodeLinkGraph,
  TopologyNode,
  TopologyLink,
  ServerView,
  FameZSystem,
  SwitchingSource,
  SwitchLinkView,
  QueueView,
  DoorbellTrace,
  FamView,
} from './model.js';
export { routerSwitching, fabricSwitching, type SwitchingOptions } from './switching-source.js';
export type { EventStreamLimits } from './event-stream.js';
