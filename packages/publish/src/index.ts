export type { Logger } from '@pestras/micro-socket-core';
export { adapterTransport } from './adapter';
export { defaultTransport, PublishBus, type PublishBusOptions, type PublishOptions } from './bus';
export {
  ClusterPrimary,
  type ClusterPrimaryEvents,
  type ClusterPrimaryOptions,
  startClusterPrimary,
} from './cluster-primary';
export { PublishError, type PublishErrorCode } from './errors';
export { attachPublishRelay, type ClusterLike, type IpcChannel, ipcTransport } from './ipc';
export type { SocketIOPublishMessage } from './message';
export {
  DEFAULT_REDIS_CHANNEL,
  type RedisClientLike,
  type RedisTransportOptions,
  redisTransport,
} from './redis';
export { stickySessionId, workerIdOfSession } from './sticky-session';
export {
  type StickyWorker,
  type StickyWorkerOptions,
  type StickyWorkerProcess,
  serveStickyWorker,
} from './sticky-worker';
export { localTransport, type PayloadHandler, type PublishTransport } from './transport';
