export type { Logger } from '@pestras/micro-socket-core';
export { adapterTransport } from './adapter';
export { defaultTransport, PublishBus, type PublishBusOptions, type PublishOptions } from './bus';
export { PublishError, type PublishErrorCode } from './errors';
export { attachPublishRelay, type ClusterLike, type IpcChannel, ipcTransport } from './ipc';
export type { SocketIOPublishMessage } from './message';
export {
  DEFAULT_REDIS_CHANNEL,
  type RedisClientLike,
  type RedisTransportOptions,
  redisTransport,
} from './redis';
export { localTransport, type PayloadHandler, type PublishTransport } from './transport';
