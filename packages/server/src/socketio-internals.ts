// The one place this package reaches into socket.io's internals, for socket.io 4.8 (its Client in
// lib/client.ts, socket.io-parser 4.2's Decoder, Socket#packet) and socket.io-adapter 2.5
// (Adapter#_encode). Each use checks the shape it needs, so another version fails loudly
// (`interceptDecodedPackets` returns false) instead of silently doing something else.
import type { Socket } from 'socket.io';

/** A packet as socket.io-parser decoded it from one incoming message. */
export interface DecodedPacket {
  type: number;
  nsp: string;
  data?: unknown;
  id?: number;
}

/** socket.io-parser's packet types that carry a client's event. */
export const EVENT_PACKET = 2;
export const BINARY_EVENT_PACKET = 5;
const ACK_PACKET = 3;

interface DecoderLike {
  on(event: 'decoded', listener: (packet: DecodedPacket) => void): unknown;
  off(event: 'decoded', listener: (packet: DecodedPacket) => void): unknown;
}

interface ClientInternals {
  decoder?: DecoderLike;
  /** Bound in the Client's constructor and registered as the decoder's only `decoded` listener. */
  ondecoded?: (packet: DecodedPacket) => void;
}

/**
 * Puts `gate` between a connection's packet decoder and socket.io's dispatch: socket.io 4.8
 * decodes every message of a polling POST (up to ~60,000 events per 1 MB) synchronously and only
 * then queues each packet for its socket, so this is the one point where a packet can be refused
 * before anything else sees it (`onAny` listeners, `socket.use` middlewares, handlers) and where
 * closing the connection stops the decoding of the rest of the POST. The gate calls `forward`
 * with the packets it lets through.
 *
 * @returns false, with nothing changed, when the client does not have the expected shape.
 */
export function interceptDecodedPackets(
  socket: Socket,
  gate: (packet: DecodedPacket, forward: (packet: DecodedPacket) => void) => void,
): boolean {
  const client = socket.client as unknown as ClientInternals;
  const decoder = client.decoder;
  const forward = client.ondecoded;
  if (typeof forward !== 'function' || typeof decoder?.off !== 'function' || typeof decoder.on !== 'function')
    return false;
  decoder.off('decoded', forward);
  decoder.on('decoded', (packet) => gate(packet, forward));
  return true;
}

/** Answers the acknowledgement `id` of a socket's client, as socket.io's own ack function does. */
export function sendAck(socket: Socket, id: number, payload: unknown): void {
  (socket as unknown as { packet(packet: { type: number; id: number; data: unknown[] }): void }).packet({
    type: ACK_PACKET,
    id,
    data: [payload],
  });
}

/**
 * Wraps an adapter's `_encode` (socket.io-adapter 2.5: encodes a broadcast packet once for every
 * recipient) so that `onEncoded` learns the size of each broadcast at no extra encoding cost.
 *
 * @returns false when the adapter has no `_encode` (another socket.io-adapter version).
 */
export function observeEncodedSize(adapter: object, onEncoded: (bytes: number) => void): boolean {
  const target = adapter as { _encode?: (packet: unknown, opts: unknown) => unknown[] };
  const encode = target._encode;
  if (typeof encode !== 'function') return false;
  target._encode = function (this: unknown, packet, opts) {
    const encoded = encode.call(this, packet, opts);
    let bytes = 0;
    for (const part of encoded) {
      bytes += typeof part === 'string' ? part.length : (part as { byteLength: number }).byteLength;
    }
    onEncoded(bytes);
    return encoded;
  };
  return true;
}
