import type { Server } from 'socket.io';

/** The engine.io server of a socket.io server. */
export type Engine = Server['engine'];

/**
 * Calls `use` with every engine.io server socket.io is bound to: the current one, if the server
 * is already attached, and each one it gets later through `io.attach(...)` or `io.listen(...)`
 * (`new Server(options)` has none until then).
 *
 * socket.io 4.8 hands a new engine to its public `io.bind(engine)` from `attach` and `listen`:
 * that method, on this one instance, is wrapped here and nowhere else.
 */
export function forEachEngine(io: Server, use: (engine: Engine) => void): void {
  if (io.engine) use(io.engine);
  const bind = io.bind;
  io.bind = function (this: Server, engine: Parameters<Server['bind']>[0]) {
    const result = bind.call(this, engine);
    use(this.engine);
    return result;
  };
}
