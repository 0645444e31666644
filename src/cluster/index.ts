// One fabric across hosts over NATS. Import this module only when a cluster
// is wanted: it loads NATS's client on first use (dynamic import).
export { ClusterError, planCluster, defaultNodeName, type ClusterOptions, type ClusterPlan } from './options.js';
export { ClusterNode, type ClusterNodeDeps, type ClusterNodeEvents } from './node.js';
export { idSpace, type IdSource, type IdSpace } from './id-space.js';
export { clusterNode, listenClustered, type Clustered } from './assembly.js';
export type { ClusterBus, ClaimStore, Clock } from './bus.js';
export { attachServer, listenClusteredServer, type ClusteredServer } from './server-cluster.js';
export type { RemotePeer } from './wire.js';
export { attachFabric, listenClusteredFabric, type ClusteredFabric } from './fabric-cluster.js';
export { tellClusterEvents, type ClusterLine } from './events-text.js';
