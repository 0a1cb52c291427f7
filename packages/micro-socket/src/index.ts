// The seed README's API, re-exported by name from the packages that implement it.
export {
  type AckFailure,
  type ClientToServerEvents,
  CONNECT,
  CodedError,
  DecoratorError,
  type DecoratorErrorCode,
  DISCONNECT,
  defineEvents,
  EVENT,
  type EventContracts,
  type EventDecorator,
  type EventOptions,
  HANDSHAKE,
  type HandlerDecorator,
  type Namespaces,
  RECONNECT,
  type ServerToClientEvents,
  type StandardSchemaV1,
  USE,
  USESOCKET,
} from '@pestras/micro-socket-core';
export {
  DEFAULT_EXIT_TIMEOUT,
  MicroSocket,
  MicroSocketError,
  type MicroSocketErrorCode,
  type MicroSocketOptions,
} from '@pestras/micro-socket-plugin';
export type { PublishOptions, SocketIOPublishMessage } from '@pestras/micro-socket-publish';
export {
  type AckError,
  type AsyncApiDocument,
  type AsyncApiOptions,
  type AsyncApiServing,
  asyncApiDocument,
  type Logger,
  MAX_VALIDATION_ISSUES,
  SocketError,
  type SocketIOOptions,
  type ValidationAckError,
  type ValidationIssue,
} from '@pestras/micro-socket-server';
