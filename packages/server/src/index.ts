export type { Logger } from '@pestras/micro-socket-core';
export {
  type AsyncApiDocument,
  type AsyncApiOptions,
  type AsyncApiServing,
  asyncApiDocument,
} from './asyncapi';
export { DEFAULT_MAX_BUFFERED_BYTES } from './backpressure';
export { type BindOptions, bindHandlers, DEFAULT_MIDDLEWARE_TIMEOUT } from './bind';
export { type AckError, INTERNAL_ERROR, MIDDLEWARE_FAILED, SocketError, toAckError } from './errors';
export { InFlightHandlers } from './inflight';
export {
  DEFAULT_RATE_LIMIT,
  type RateLimit,
  type RateLimitedAck,
  type RateLimitOptions,
} from './rate-limit';
export { boundedRecoveryAdapter, DEFAULT_RECOVERY_LIMITS, type RecoveryLimits } from './recovery';
export {
  type CloseOptions,
  DEFAULT_CLOSE_TIMEOUT,
  DEFAULT_HOST,
  DEFAULT_PORT,
  DEFAULT_SERVER_OPTIONS,
  type HttpServerLike,
  type HttpServerSource,
  type SocketIOOptions,
  type SocketIOServerOptions,
  SocketServer,
  toServerOptions,
} from './server';
export { MAX_VALIDATION_ISSUES, type ValidationAckError, type ValidationIssue } from './validate';
