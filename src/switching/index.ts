export {
  Router,
  type RouterOptions,
  type RouterEvents,
  type LinkCounters,
  type TraceEntry,
  type MessageInspector,
} from './router.js';
export { TraceSubscription } from './trace.js';
export {
  singleSwitch,
  peerLinkName,
  attachmentOf,
  type Topology,
  type SwitchLink,
  type Attachment,
} from './topology.js';
export { parseFabricFile, topologyFromJson, FabricFileError } from './fabric-file.js';
export { kShortestPaths, firstUp, partitions, type Path } from './routing.js';
export {
  parseFaultCommand,
  faultNotice,
  describeChange,
  describeFaults,
  isolate,
  FaultError,
  FAULT_HELP,
  type FaultChange,
  type LinkFaults,
  type RateLimit,
} from './faults.js';
