export type { Logger } from '@pestras/micro-socket-core';
export { ClusterError, type ClusterErrorCode } from './errors';
export {
  ClusterPrimary,
  type ClusterPrimaryEvents,
  type ClusterPrimaryOptions,
  type PrimaryHook,
  startClusterPrimary,
} from './primary';
export { type ConnectionRoute, type RequestLineLimits, RequestLineReader } from './request-line';
export { stickySessionId, workerIdOfSession } from './sticky-session';
export {
  type StickyWorker,
  type StickyWorkerOptions,
  type StickyWorkerProcess,
  serveStickyWorker,
} from './sticky-worker';
