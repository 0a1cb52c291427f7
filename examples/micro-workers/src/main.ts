// The seed README's "Publish" section: @SERVICE({ workers: 2 }) and MicroSocket.publish, so that a
// message reaches the clients of every worker exactly once; plus Micro.message between workers,
// and Micro.message('restart') for a rolling restart of the workers.
// The primary (run by MicroSocket in place of Micro's workers manager) owns the port and routes
// each client to its worker, so default clients (HTTP long-polling first) work.
import cluster from 'node:cluster';
import { createHash, timingSafeEqual } from 'node:crypto';
import { Micro, SERVICE, WORKER_MSG } from '@pestras/micro';
import { CONNECT, EVENT, MicroSocket, SocketError } from '@pestras/micro-socket';
import type { Namespace, Server, Socket } from 'socket.io';

const sockets = new MicroSocket({
  port: Number(process.env.PORT ?? 3001),
  // The service's events as an AsyncAPI 3.0 document, at GET /asyncapi.json from either worker.
  asyncapi: { path: '/asyncapi.json', title: 'micro-workers' },
});
Micro.plugin(sockets);

const worker = () => cluster.worker?.id ?? 0;

/**
 * The operators' secret, from the environment: unset, nobody can restart the workers through the
 * event. A client's `auth` is whatever the client chose to send (`{ admin: true }` included), so
 * it grants nothing by itself; only a secret the client proves it knows does.
 */
const restartToken = process.env.RESTART_TOKEN;

function sentRestartToken(socket: Socket): boolean {
  const token: unknown = socket.handshake.auth?.restartToken;
  if (!restartToken || typeof token !== 'string') return false;
  // Equal-length digests: timingSafeEqual needs them, and the time taken says nothing of the secret.
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(token), digest(restartToken));
}

@SERVICE({ workers: 2 })
class Publisher {
  @CONNECT()
  hello(_io: Server, socket: Socket) {
    socket.emit('hello', { worker: worker(), pid: process.pid });
  }

  @CONNECT(['blog'])
  async joinMembers(_ns: Namespace, socket: Socket) {
    if (socket.handshake.auth?.member === true) await socket.join('members');
    socket.emit('hello', { worker: worker(), pid: process.pid });
  }

  @EVENT('ArticleUpdated', ['blog'])
  async onArticleUpdate(_ns: Namespace, socket: Socket, id: unknown) {
    if (typeof id !== 'string') throw new SocketError('BAD_ID', 'an article id is a string');
    socket.to('members').emit('ArticleUpdated', id);
    // publish to the other workers' socket.io servers
    await MicroSocket.publish({ event: 'ArticleUpdated', data: [id], namespace: 'blog', room: 'members' });
    return { published: id, worker: worker() };
  }

  @EVENT('announce')
  announce(io: Server, _socket: Socket, text: unknown) {
    if (typeof text !== 'string') throw new SocketError('BAD_TEXT', 'an announcement is a string');
    io.local.emit('announcement', { text, deliveredBy: worker() });
    Micro.message('announce', { text });
    // No @WORKER_MSG listens to this one: the other workers log it and stay up.
    Micro.message('nobody-listens', { text });
    return { announced: text, worker: worker() };
  }

  /**
   * Replaces every worker, one at a time, without dropping the sessions that can drain: what a
   * deploy asks for once the new code is in place. `Micro.message('restart')` goes to the
   * primary MicroSocket runs. Only for a client that sent the operators' secret (`RESTART_TOKEN`
   * in the workers' environment) as `auth: { restartToken }`.
   */
  @EVENT('restartWorkers')
  restartWorkers(_io: Server, socket: Socket) {
    if (!sentRestartToken(socket)) throw new SocketError('FORBIDDEN', 'operators only');
    Micro.message('restart');
    return { restarting: true, worker: worker() };
  }

  @WORKER_MSG('announce')
  onAnnounce(data: { text: string }) {
    sockets.io.local.emit('announcement', { text: data.text, deliveredBy: worker() });
  }
}

Micro.start(Publisher);
