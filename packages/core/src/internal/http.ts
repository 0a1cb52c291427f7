import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The part of a `net.Server` (or `http.Server`) that {@link listenOn} uses.
 *
 * @example
 * ```ts
 * const server: ListenableServer = createServer();
 * ```
 */
export interface ListenableServer {
  listen(port: number, host: string): unknown;
  once(event: 'error', listener: (err: Error) => void): unknown;
  once(event: 'listening', listener: () => void): unknown;
  off(event: 'error', listener: (err: Error) => void): unknown;
  off(event: 'listening', listener: () => void): unknown;
}

/**
 * Starts `server` listening and resolves once it does; rejects with the server's own error
 * (`EADDRINUSE`, `EACCES`, ...) when it cannot, leaving no listener of its own behind. Callers
 * wrap the error in their package's error class, so a failure says where it happened.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { listenOn } from '@pestras/micro-socket-core/internal';
 *
 * const http = createServer();
 * await listenOn(http, 0, '127.0.0.1');
 * ```
 */
export function listenOn(server: ListenableServer, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => {
      server.off('listening', onListening);
      reject(err);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

/**
 * The answer of every http server micro-socket creates to a request outside socket.io's path:
 * without a `request` listener such a request would hang until the client gives up, holding a
 * socket.
 *
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { answerNotFound } from '@pestras/micro-socket-core/internal';
 *
 * const http = createServer(answerNotFound);
 * ```
 */
export function answerNotFound(_req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not Found');
}
