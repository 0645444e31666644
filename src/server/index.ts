export { createServer, FamezServer, type ServerOptions, type PeerInfo, type ServerEvents } from './server.js';
export { ID_POLICIES, type IdPolicy } from './ids.js';
export { SocketPathError } from './socket-path.js';
