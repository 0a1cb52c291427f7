import type { Socket as NetSocket } from 'node:net';

/**
 * The few answers the cluster primary writes itself, before any worker has the connection: a
 * request it cannot route, a connection too slow to send its request line, no worker to route
 * to. Everything else is answered by the workers.
 */
const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  414: 'URI Too Long',
  503: 'Service Unavailable',
};

/** engine.io's own answer to an unknown session, so clients react exactly as to a worker's. */
export const UNKNOWN_SESSION = JSON.stringify({ code: 1, message: 'Session ID unknown' });

/** A complete HTTP/1.1 response that closes the connection. */
export function httpResponse(status: number, body: string, type = 'text/plain; charset=utf-8'): string {
  return (
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\n` +
    `Connection: close\r\nContent-Type: ${type}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}

/** Answers and closes; a client that never reads its answer does not hold the socket open. */
export function refuse(socket: NetSocket, response: string): void {
  socket.removeAllListeners('data');
  // Whatever the client still sends is read and dropped, so its close is seen.
  socket.resume();
  socket.end(response);
  setTimeout(() => socket.destroy(), 1_000).unref();
}
