import { CONNECT, EVENT } from '@pestras/micro-socket';
import type { Namespace, Socket } from 'socket.io';
import { withoutAck } from './args.js';

export class SubServiceB {
  private handled = 0;

  @EVENT('someevent', ['ns03'])
  ns03Handler(ns: Namespace, _socket: Socket, ...args: unknown[]) {
    return { by: 'SubServiceB', namespace: ns.name, args: withoutAck(args), handled: ++this.handled };
  }

  @CONNECT(['ns02'])
  greet(_ns: Namespace, socket: Socket) {
    socket.emit('hello', 'SubServiceB');
  }

  // SubServiceA handles 'someevent' on ns02 too: both run, each on its own instance.
  @EVENT('someevent', ['ns02'])
  ns02Handler(ns: Namespace, socket: Socket, ...args: unknown[]) {
    socket.emit('handled', {
      by: 'SubServiceB',
      namespace: ns.name,
      args: withoutAck(args),
      handled: ++this.handled,
    });
  }
}
