export { connect, FamezClient, type ConnectOptions, type ClientEvents, type Doorbell } from './client.js';
export { SharedMemory } from './memory.js';
