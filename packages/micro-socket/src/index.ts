// The seed README's API, re-exported by name from the packages that implement it.
export {
  CONNECT,
  CodedError,
  DecoratorError,
  type DecoratorErrorCode,
  DISCONNECT,
  EVENT,
  HANDSHAKE,
  type HandlerDecorator,
  type Namespaces,
  RECONNECT,
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
export { type AckError, type Logger, SocketError, type SocketIOOptions } from '@pestras/micro-socket-server';
