// The seed README on @pestras/micro 1.2.5: the plug-in with its defaults (port 3001, host 0.0.0.0)
// and every decorator, on the main server ('default') and on the 'blog' namespace.
// ESM, compiled by tsc with experimentalDecorators, as Micro services are.
import { Micro, SERVICE } from '@pestras/micro';
import {
  CONNECT,
  DISCONNECT,
  EVENT,
  HANDSHAKE,
  MicroSocket,
  RECONNECT,
  SocketError,
  USE,
  USESOCKET,
} from '@pestras/micro-socket';
import type { Event, Namespace, Server, Socket } from 'socket.io';

Micro.plugin(new MicroSocket());

@SERVICE()
class Publisher {
  @HANDSHAKE()
  handshake(_io: Server, socket: Socket, next: (err?: Error) => void) {
    const { name } = socket.handshake.auth ?? {};
    if (typeof name !== 'string' || name.length === 0) return next(new Error('a name is required'));
    socket.data.name = name.slice(0, 32);
    next();
  }

  @HANDSHAKE(['blog'])
  blogHandshake(_ns: Namespace, socket: Socket, next: (err?: Error) => void) {
    next(socket.handshake.auth?.member === true ? undefined : new Error('members only'));
  }

  @USE()
  use(_io: Server, socket: Socket, next: (err?: Error) => void) {
    socket.data.seenAt = Date.now();
    next();
  }

  @USE(['blog'])
  blogUse(_ns: Namespace, socket: Socket, next: (err?: Error) => void) {
    socket.data.blog = true;
    next();
  }

  @CONNECT()
  onSocketConnect(io: Server, socket: Socket) {
    socket.emit('welcome', { name: socket.data.name, online: io.of('/').sockets.size });
  }

  @CONNECT(['blog'])
  onSocketConnectToBlog(ns: Namespace, socket: Socket) {
    socket.emit('welcome', { namespace: ns.name, used: socket.data.blog === true });
  }

  @RECONNECT()
  onSocketReconnect(_io: Server, socket: Socket) {
    socket.emit('welcome back', { name: socket.data.name });
  }

  @RECONNECT(['blog'])
  onSocketReconnectToBlog(ns: Namespace, socket: Socket) {
    socket.emit('welcome back', { namespace: ns.name });
  }

  @USESOCKET()
  useSocket(_io: Server, packet: Event, next: (err?: Error) => void) {
    next(packet[0] === 'admin' ? new SocketError('FORBIDDEN', 'admins only') : undefined);
  }

  @USESOCKET(['blog'])
  blogUseSocket(_ns: Namespace, packet: Event, next: (err?: Error) => void) {
    next(packet.length > 4 ? new SocketError('TOO_MANY_ARGUMENTS', 'at most 3 arguments') : undefined);
  }

  @EVENT('userLoggedIn')
  userLoggedIn(io: Server, socket: Socket, user: unknown) {
    if (typeof user !== 'string') throw new SocketError('BAD_USER', 'a user is a string');
    socket.broadcast.emit('userLoggedIn', user);
    return { user, by: socket.data.name, online: io.of('/').sockets.size };
  }

  @EVENT('admin')
  admin() {
    return { never: 'reached: USESOCKET refuses it' };
  }

  @EVENT('newArticle', ['blog'])
  newArticle(ns: Namespace, socket: Socket, title: unknown) {
    if (typeof title !== 'string' || title.length === 0) {
      throw new SocketError('BAD_TITLE', 'a title is a non-empty string');
    }
    socket.broadcast.emit('newArticle', title);
    return { saved: title, namespace: ns.name };
  }

  @DISCONNECT()
  socketDisconnected(io: Server, socket: Socket, reason: string) {
    io.emit('left', { name: socket.data.name, reason });
  }

  @DISCONNECT(['blog'])
  blogSocketDisconnected(ns: Namespace, socket: Socket) {
    ns.emit('reader left', socket.id);
  }
}

Micro.start(Publisher);
