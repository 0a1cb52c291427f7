import { CONNECT, EVENT } from '@pestras/micro-socket';
import type { Namespace, Socket } from 'socket.io';
import { withoutAck } from './args.js';

export class SubServiceA {
  /** Instance state: each handler runs on its own sub service instance. */
  private handled = 0;

  @EVENT('someevent', ['ns01'])
  ns01Handler(ns: Namespace, _socket: Socket, ...args: unknown[]) {
    return { by: 'SubServiceA', namespace: ns.name, args: withoutAck(args), handled: ++this.handled };
  }

  @CONNECT(['ns02'])
  greet(_ns: Namespace, socket: Socket) {
    socket.emit('hello', 'SubServiceA');
  }

  @EVENT('someevent', ['ns02'])
  ns02Handler(ns: Namespace, socket: Socket, ...args: unknown[]) {
    socket.emit('handled', {
      by: 'SubServiceA',
      namespace: ns.name,
      args: withoutAck(args),
      handled: ++this.handled,
    });
  }
}
