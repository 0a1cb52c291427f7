// The seed README's "Http Server" section: MicroSocket on the http server of another plugin,
// passed as a function because that server exists only once the other plugin initialized.
// There is no @pestras/micro-router on npm, so MicroWeb below stands for it: a tiny plugin that
// creates an http server in its init(). ESM, compiled by tsc with experimentalDecorators.
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Micro, type MicroPlugin, SERVICE } from '@pestras/micro';
import { CONNECT, EVENT, MicroSocket } from '@pestras/micro-socket';
import type { Server, Socket } from 'socket.io';

/** A minimal web plugin: one http server, created and listening in init(), closed on exit. */
class MicroWeb implements MicroPlugin {
  static server: HttpServer | null = null;
  healthy = false;
  ready = false;
  live = true;

  async init() {
    const server = createServer((req, res) => {
      res.setHeader('Content-Type', 'application/json');
      if (req.method === 'GET' && req.url === '/articles') {
        res.end(JSON.stringify({ articles: ['Hello', 'World'] }));
        return;
      }
      res.statusCode = 404;
      res.end(JSON.stringify({ error: 'not found' }));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(Number(process.env.PORT ?? 3000), '0.0.0.0', resolve);
    });
    MicroWeb.server = server;
    this.healthy = this.ready = true;
    Micro.logger.info(`MicroWeb: http listening on port ${(server.address() as AddressInfo).port}`);
  }

  onExit() {
    this.healthy = this.ready = this.live = false;
    MicroWeb.server?.closeAllConnections();
    MicroWeb.server?.close();
  }
}

Micro.plugin(new MicroWeb());
console.log('MicroWeb.server before start:', MicroWeb.server); // output: null
Micro.plugin(new MicroSocket(null, () => MicroWeb.server)); // at initialize time the server does exist

@SERVICE()
class Test {
  @CONNECT()
  welcome(_io: Server, socket: Socket) {
    socket.emit('welcome', { transport: socket.conn.transport.name });
  }

  @EVENT('articles')
  articles(_io: Server, _socket: Socket) {
    return { articles: ['Hello', 'World'], via: 'socket.io' };
  }
}

Micro.start(Test);
