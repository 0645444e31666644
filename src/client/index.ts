export { connect, FamezClient, NoServerError, type ConnectOptions, type ClientEvents } from './client.js';
export type { Doorbell } from './session.js';
export { SharedMemory, MemoryCutError, describeMemoryChange, type SharedMemoryEvents } from './memory.js';
