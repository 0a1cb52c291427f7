import type { MicroPlugin } from '@pestras/micro';
import { installMicroCompat } from './compat';

declare module '@pestras/micro' {
  // A namespace merged into the Micro class adds to its static side.
  namespace Micro {
    /**
     * Registers a plugin: the same as `Micro.plugins(plugin)`. @pestras/micro 1.2.5 lacks it;
     * importing `@pestras/micro-socket-plugin` (or `@pestras/micro-socket`) adds it when missing.
     *
     * @example
     * ```ts
     * Micro.plugin(new MicroSocket());
     * ```
     */
    function plugin(plugin: MicroPlugin): void;
  }
}

installMicroCompat();

export type { PublishOptions, SocketIOPublishMessage } from '@pestras/micro-socket-publish';
export { MicroSocketError, type MicroSocketErrorCode } from './errors';
export { type MicroLoggerLike, microLogger } from './logger';
export { DEFAULT_EXIT_TIMEOUT, type MicroSocketOptions } from './options';
export { MicroSocket } from './plugin';
