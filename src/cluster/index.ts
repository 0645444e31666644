// One fabric across hosts over NATS. Import this module only when a cluster
// is wanted: it loads NATS's client on first use (dynamic import).
export { ClusterError, planCluster, defaultNodeName, type ClusterOptions, type ClusterPlan } from './options.js';
export { ClusterNode, type ClusterNodeEvents } from './node.js';
export { listenClusteredServer, type ClusteredServer } from './server-cluster.js';
export type { RemotePeer } from './wire.js';
