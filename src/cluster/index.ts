// One fabric across hosts over NATS. Import this module only when a cluster
// is wanted: it loads NATS's client on first use (dynamic import).
export { ClusterError, planCluster, defaultNodeName, type ClusterOptions, type ClusterPlan } from './options.js';
export { ClusterNode, type ClusterNodeEvents, type IdSpace } from './node.js';
export { attachServer, listenClusteredServer, serverIdSpace, type ClusteredServer } from './server-cluster.js';
export type { RemotePeer } from './wire.js';
export { attachFabric, fabricIdSpace, listenClusteredFabric, type ClusteredFabric } from './fabric-cluster.js';
