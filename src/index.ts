// famez: the library. The CLI is a thin layer over these.
export * from './server/index.js';
export { openBacking, BackingError, DEFAULT_SIZE, type Backing, type BackingSpec } from './memory/backing.js';
export { parseSize, formatSize, isPowerOfTwo, nextPowerOfTwo } from './memory/size.js';
export { DEFAULT_SOCKET_PATH, PROTOCOLS, MAX_VECTORS, MAX_PEER_ID, type Protocol } from './protocol/message.js';
export { ProtocolError } from './protocol/client-stream.js';
export * as sys from './sys/index.js';
export * from './client/index.js';
export * from './mailbox/index.js';
export * from './switching/index.js';
export * from './fabric/index.js';
export * from './cluster/index.js';
