export { type BindOptions, bindHandlers, DEFAULT_MIDDLEWARE_TIMEOUT } from './bind';
export { type AckError, INTERNAL_ERROR, SocketError, toAckError } from './errors';
export type { Logger } from './logger';
export {
  DEFAULT_HOST,
  DEFAULT_PORT,
  DEFAULT_SERVER_OPTIONS,
  type HttpServerLike,
  type HttpServerSource,
  type SocketIOOptions,
  SocketServer,
  toServerOptions,
} from './server';
