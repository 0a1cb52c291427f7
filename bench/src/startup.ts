// Section 6, in its own process: the time bindHandlers takes for 1,000 handlers on a fresh
// Server. Classes are generated anew each round, so no round reuses another's metadata.
import { createServer } from 'node:http';
import { bindHandlers } from '@pestras/micro-socket-server';
import { Server } from 'socket.io';
import { decoratedClass } from './handlers.js';
import { serve } from './proc.js';

function names(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}${i}`);
}

export interface StartupRound {
  /** Defining the classes: applying the decorators. */
  decorateMs: number;
  /** bindHandlers on a fresh Server. */
  bindMs: number;
}

function round(classes: number, perClass: number, tag: string): StartupRound {
  const t0 = performance.now();
  const instances = Array.from(
    { length: classes },
    (_, c) => new (decoratedClass(`Handlers${c}`, names(`${tag}.c${c}.e`, perClass)))(),
  );
  const t1 = performance.now();
  // Attached to an http server that never listens: bindHandlers may hook the engine.
  const io = new Server(createServer());
  const t2 = performance.now();
  bindHandlers(io, instances);
  const t3 = performance.now();
  io.close();
  return { decorateMs: t1 - t0, bindMs: t3 - t2 };
}

let counter = 0;
serve(
  {
    round: (p: { classes: number; perClass: number }) => round(p.classes, p.perClass, `r${counter++}`),
  },
  () => true,
);
