// A limit per user, whatever connection, process or host the user's events arrive on: one
// rate-limiter-flexible bucket per user id in Redis, checked by a USESOCKET guard. The binding's
// own limits (`rateLimit`) are per connection and need no store; this adds what they cannot see,
// a user with many tabs, devices or connections.
import { EVENT, HANDSHAKE, USESOCKET } from '@pestras/micro-socket-core';
import { SocketError } from '@pestras/micro-socket-server';
import { type RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Server, Socket } from 'socket.io';
import { chatEvents } from './events.js';

const USER = /^[\w-]{1,64}$/;

export class UserLimitedChat {
  constructor(private readonly limiter: RateLimiterRedis) {}

  // Who the user is: a real service checks a token here; the example takes a user name.
  @HANDSHAKE()
  identify(_io: Server, socket: Socket, next: (err?: Error) => void) {
    const user = socket.handshake.auth?.user;
    if (typeof user !== 'string' || !USER.test(user)) return next(new Error('a user name is required'));
    socket.data.user = user;
    next();
  }

  // Every event of the user takes a point from the user's bucket in Redis. Over it, the event
  // runs no handler and its ack gets { error: { code: 'ERR_USER_RATE_LIMITED', message } }.
  @USESOCKET()
  async perUser(_io: Server, _packet: unknown[], next: (err?: Error) => void, socket: Socket) {
    try {
      await this.limiter.consume(socket.data.user as string);
      next();
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw err; // Redis failed: logged, the client gets ERR_INTERNAL
      next(
        new SocketError(
          'ERR_USER_RATE_LIMITED',
          `too many events for this user: retry in ${err.msBeforeNext} ms`,
        ),
      );
    }
  }

  // The contract validates the text (ERR_VALIDATION otherwise) before this runs; a refused event
  // has taken its point all the same, since the guard above runs first.
  @EVENT('say', chatEvents.say)
  say(io: Server, socket: Socket, text: string) {
    io.emit('message', { from: socket.data.user, text });
    return { delivered: true };
  }
}
