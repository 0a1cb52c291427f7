// The seed README's "Subservices" section on @pestras/micro 1.2.5: handlers in the main service
// and in two sub services, which may share a namespace ('ns02'). CommonJS (no "type": "module"),
// so it loads the require() build of @pestras/micro-socket.
import { Micro, SERVICE } from '@pestras/micro';
import { EVENT, MicroSocket } from '@pestras/micro-socket';
import type { Server, Socket } from 'socket.io';
import { SubServiceA } from './subservice-a.js';
import { SubServiceB } from './subservice-b.js';

Micro.plugin(
  new MicroSocket({
    port: Number(process.env.PORT ?? 3001),
    // The events of the main service and of both sub services as an AsyncAPI 3.0 document.
    asyncapi: { path: '/asyncapi.json', title: 'micro-subservices' },
  }),
);

@SERVICE()
class Main {
  @EVENT('whoami')
  whoami(_io: Server, socket: Socket) {
    return {
      service: this.constructor.name,
      module: typeof require === 'function' ? 'commonjs' : 'esm',
      id: socket.id,
    };
  }

  @EVENT('broadcast')
  async broadcast(_io: Server, _socket: Socket, text: unknown) {
    // Single process: nothing else to reach, so with includeSelf this process delivers it itself.
    await MicroSocket.publish({ event: 'news', data: [text], namespace: 'ns01' }, { includeSelf: true });
    await MicroSocket.publish({ event: 'news', data: ['only for other processes'], namespace: 'ns01' });
    return { published: true };
  }

  @EVENT('bad publish')
  async badPublish() {
    MicroSocket.publish({ event: 'disconnect', data: [] }); // not awaited: logged, no crash
    return MicroSocket.publish({ event: 'news', data: 'not an array' as never }).catch((err) => ({
      error: { name: err.name, code: err.code },
    }));
  }
}

Micro.start(Main, [SubServiceA, SubServiceB]);
