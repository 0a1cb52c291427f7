import type { Socket } from 'socket.io';

/** Event names in the answer are cut to this many characters: the client sent the name itself. */
const NAME_SHOWN = 100;

/**
 * Answers `{ error: { code: 'ERR_UNKNOWN_EVENT', message } }` to an event with an ack that
 * nothing on its socket listens to (no EVENT handler, no `socket.on` listener of the user's, no
 * `onAny` listener), so the client is not left waiting for its own timeout, or forever with
 * `emitWithAck`. Registered last among the binding's packet middlewares, it looks at the
 * listeners as the packet is dispatched; a middleware the user adds after `bindHandlers` runs
 * after it.
 */
export function answerUnknownEvents(socket: Socket): void {
  socket.use((packet, next) => {
    const ack = packet[packet.length - 1];
    if (
      typeof ack !== 'function' ||
      socket.listenerCount(packet[0]) > 0 ||
      socket.listenersAny().length > 0
    ) {
      next();
      return;
    }
    const name = String(packet[0]);
    const shown = name.length > NAME_SHOWN ? `${name.slice(0, NAME_SHOWN)}…` : name;
    // A plain payload: a hostile client may send many of these, and an Error would capture a stack each time.
    ack({ error: { code: 'ERR_UNKNOWN_EVENT', message: `No handler for event '${shown}'` } });
  });
}
