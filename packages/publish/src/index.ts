export { adapterTransport } from './adapter';
export { defaultTransport, PublishBus, type PublishBusOptions, type PublishOptions } from './bus';
export { PublishError, type PublishErrorCode } from './errors';
export { attachPublishRelay, type ClusterLike, type IpcChannel, ipcTransport } from './ipc';
export type { Logger } from './logger';
export { MemoryHub } from './memory';
export type { SocketIOPublishMessage } from './message';
export { localTransport, type PayloadHandler, type PublishTransport } from './transport';
