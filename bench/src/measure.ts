// Commands every measured server process answers: a CPU window and a memory snapshot.
import type { Counters } from './handlers.js';

export interface CpuWindow {
  /** User + system CPU time of this process during the window, µs. */
  cpuUs: number;
  /** Events the handlers counted during the window. */
  events: number;
  wallMs: number;
}

export interface MemorySnapshot {
  heapUsed: number;
  rss: number;
  external: number;
  clients: number;
}

declare const gc: undefined | (() => void);

function collect(): void {
  // Several passes: weak references and finalizers freed by one pass are collected by the next.
  if (typeof gc === 'function') for (let i = 0; i < 4; i++) gc();
}

export function measurementCommands(counters: Counters, clients: () => number) {
  let cpu = process.cpuUsage();
  let wall = performance.now();
  return {
    'measure-start': () => {
      counters.events = 0;
      cpu = process.cpuUsage();
      wall = performance.now();
      return true;
    },
    'measure-stop': (): CpuWindow => {
      const used = process.cpuUsage(cpu);
      return { cpuUs: used.user + used.system, events: counters.events, wallMs: performance.now() - wall };
    },
    memory: async (): Promise<MemorySnapshot> => {
      // Let pending timers and sockets settle before collecting.
      await new Promise((resolve) => setTimeout(resolve, 50));
      collect();
      const m = process.memoryUsage();
      return { heapUsed: m.heapUsed, rss: m.rss, external: m.external, clients: clients() };
    },
    clients: () => clients(),
  };
}
