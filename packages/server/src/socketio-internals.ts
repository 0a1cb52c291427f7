// The one place this package reaches into socket.io's internals, for socket.io 4.8 (its Client in
// lib/client.ts, socket.io-parser 4.2's Decoder, Socket#packet, Socket#_onclose,
// Namespace#_createSocket) and socket.io-adapter 2.5 (Adapter#_encode, Adapter#apply). Each use
// checks the shape it needs, so another version fails loudly (`interceptDecodedPackets` returns
// false) or falls back to socket.io's own behaviour instead of silently doing something else.
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

/** The reason socket.io 4.8's own `io.close()` closes each socket with; one it persists a session for. */
const SERVER_SHUTTING_DOWN = 'server shutting down';

/**
 * Closes a socket as socket.io 4.8's `io.close()` does, through `Socket#_onclose`: no DISCONNECT
 * packet goes to the client (which, once its connection closes, sees `'transport close'` and
 * reconnects by itself), the DISCONNECT handlers run with `'server shutting down'`, and with
 * connection state recovery on the adapter persists the session, that reason being among
 * socket.io's recoverable ones.
 *
 * @returns false, with nothing done, when the socket has no `_onclose` (another socket.io version).
 */
export function closeAsShuttingDown(socket: Socket): boolean {
  const target = socket as unknown as { _onclose?: (reason: string) => unknown };
  if (typeof target._onclose !== 'function') return false;
  target._onclose(SERVER_SHUTTING_DOWN);
  return true;
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

/**
 * Wraps an adapter's `apply` (socket.io-adapter 2.5: `broadcast` hands a packet to each recipient
 * socket through `apply(opts, callback)`) so that the adapter learns whom a broadcast reached. On
 * each `apply` call `watch` may return a function; it is then called with the id of every socket
 * the call visits, before socket.io writes to that socket.
 *
 * @returns false, with nothing changed, when the adapter has no `apply`.
 */
export function observeApplyRecipients(
  adapter: object,
  watch: () => ((socketId: string) => void) | undefined,
): boolean {
  type Visit = (socket: { id: string }) => void;
  const target = adapter as { apply?: (opts: unknown, visit: Visit) => void };
  const apply = target.apply;
  if (typeof apply !== 'function') return false;
  target.apply = function (this: unknown, opts, visit) {
    const onRecipient = watch();
    if (!onRecipient) return apply.call(this, opts, visit);
    return apply.call(this, opts, (socket) => {
      onRecipient(socket.id);
      visit(socket);
    });
  };
  return true;
}

interface NamespaceInternals {
  adapter?: unknown;
  /** socket.io 4.8: builds the Socket of a CONNECT, restoring its session when the auth allows. */
  _createSocket?: (client: unknown, auth: unknown) => Promise<Socket>;
}

/**
 * socket.io 4.8's `Namespace#_createSocket` asks the adapter to restore a session only when the
 * CONNECT's auth has a string `pid` and a string `offset`, while socket.io-client sends an
 * `offset` only once it has received an event that carried one (socket.io#4888, #5538): a client
 * that received nothing since it connected could never be restored. This wraps the namespace's
 * `_createSocket` so that, as long as `adapter` is the namespace's adapter, a CONNECT with a string
 * `pid` and no `offset` (absent or null) reaches `adapter.restoreSession(pid, noOffset)`.
 * `noOffset` never shows: the socket's `handshake.auth` is the object the client sent.
 *
 * @returns false, with nothing changed, when the namespace has no `_createSocket`.
 */
export function restoreSessionsWithoutOffset(nsp: object, adapter: object, noOffset: string): boolean {
  const target = nsp as NamespaceInternals;
  const createSocket = target._createSocket;
  if (typeof createSocket !== 'function') return false;
  target._createSocket = async function (this: NamespaceInternals, client, auth) {
    const given = auth as { pid?: unknown; offset?: unknown } | null | undefined;
    if (this.adapter !== adapter || typeof given?.pid !== 'string' || given.offset != null) {
      return createSocket.call(this, client, auth);
    }
    const socket = await createSocket.call(this, client, { ...given, offset: noOffset });
    socket.handshake.auth = given;
    return socket;
  };
  return true;
}
