import type { Logger } from '@pestras/micro-socket-core';
import type { Engine } from './engine';

/**
 * How many bytes of output a client may leave unread before it is dropped: 8 MiB.
 *
 * @example
 * ```ts
 * new SocketServer({ maxBufferedBytes: DEFAULT_MAX_BUFFERED_BYTES / 4 });
 * ```
 */
export const DEFAULT_MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

// The parts of engine.io's socket and transports the guard reads; engine.io 6 has them all.
interface EnginePacket {
  data?: string | { byteLength: number };
}
interface EngineTransport {
  /** The `ws` WebSocket of the websocket transport; polling transports have none. */
  socket?: { bufferedAmount?: number; terminate?(): void };
}
interface EngineSocket {
  id: string;
  transport: EngineTransport;
  on(event: 'packetCreate', listener: (packet: EnginePacket) => void): unknown;
  on(event: 'flush', listener: () => void): unknown;
  close(discard?: boolean): unknown;
}

/**
 * Drops any client whose unsent output exceeds `maxBytes`: the packets engine.io holds because
 * the transport is still busy (a websocket whose peer stopped reading, a polling client that
 * stopped polling) plus the bytes the websocket itself has not handed to the kernel yet.
 *
 * Checked as each packet is queued, so the cap holds even for a burst sent in one tick; the cost
 * is one addition and one comparison per outgoing packet, and two listeners per connection.
 */
export function dropSlowConsumers(engine: Engine, maxBytes: number, logger: Required<Logger>): void {
  engine.on('connection', (conn: EngineSocket) => {
    // Bytes queued in engine.io's write buffer since the transport last took it.
    let queued = 0;
    let dropped = false;
    conn.on('flush', () => {
      queued = 0;
    });
    conn.on('packetCreate', (packet) => {
      const data = packet.data;
      if (data !== undefined) queued += typeof data === 'string' ? data.length : data.byteLength;
      const ws = conn.transport.socket;
      const buffered = queued + (ws?.bufferedAmount ?? 0);
      if (buffered <= maxBytes || dropped) return;
      dropped = true;
      logger.warn(
        `micro-socket: dropped client ${conn.id}: ${buffered} bytes of output unread (maxBufferedBytes ${maxBytes})`,
      );
      // Discard what is queued, and do not let a websocket linger in its closing handshake
      // (up to 30 s with a peer that reads nothing) holding the unsent bytes.
      conn.close(true);
      ws?.terminate?.();
    });
  });
}
