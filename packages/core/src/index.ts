import './symbol-metadata';

export {
  type AckFailure,
  type ClientToServerEvents,
  defineEvents,
  type EventAck,
  type EventContracts,
  type EventDecorator,
  type EventHandler,
  type EventOptions,
  type EventRateLimit,
  type SchemaInputs,
  type SchemaOutputs,
  type ServerToClientEvents,
  type StandardSchemaV1,
} from './contract';
export {
  CONNECT,
  DISCONNECT,
  EVENT,
  HANDSHAKE,
  type HandlerDecorator,
  type Namespaces,
  RECONNECT,
  RESERVED_EVENTS,
  USE,
  USESOCKET,
} from './decorators';
export { CodedError, DecoratorError, type DecoratorErrorCode } from './errors';
export { type Logger, safeLogger } from './logger';
export {
  getHandlerMetadata,
  getOwnHandlerMetadata,
  HANDLERS_METADATA_KEY,
  type HandlerMetadata,
  type HookKind,
} from './metadata';
export { DEFAULT_NAMESPACE, namespacePath } from './namespaces';
export { createHandlerPlan, type HandlerPlan, type HandlerRef, type NamespacePlan } from './plan';
export { SYMBOL_METADATA } from './symbol-metadata';
