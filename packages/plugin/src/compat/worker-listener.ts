import type { Logger } from '@pestras/micro-socket-server';

/** `Micro.message(msg, data, target)` on the IPC channel: `{ message, data, target }`. */
export interface MicroMessage {
  readonly message: string;
  readonly data?: unknown;
  readonly target?: unknown;
}

export function isMicroMessage(value: unknown): value is MicroMessage {
  return typeof value === 'object' && value !== null && typeof (value as MicroMessage).message === 'string';
}

/**
 * Micro 1.2.5 installs its worker `'message'` listener (for `@WORKER_MSG`) only when a listener
 * is declared, and it throws for any IPC message whose `message` names no listener, which kills
 * the worker: the sticky primary's connection hand-overs and the publish bus's packets are such
 * messages. This wraps that listener (found by its source text, the only handle Micro leaves) so
 * that foreign messages are skipped and unknown names are logged.
 *
 * @returns how many listeners were guarded.
 */
export function guardMicroWorkerListener(logger: Required<Logger>): number {
  let guarded = 0;
  for (const listener of process.listeners('message')) {
    if (GUARD in listener || !MICRO_WORKER_LISTENER.test(String(listener))) continue;
    const micro = listener as (message: unknown) => void;
    const guard = (message: unknown) => {
      if (!isMicroMessage(message)) return;
      try {
        micro(message);
      } catch (err) {
        // Micro looks the name up in its listener map and dereferences the miss: that TypeError
        // is an unknown name, anything else an error of the @WORKER_MSG method and still fatal.
        if (!(err instanceof TypeError) || !UNKNOWN_NAME.test(err.message)) throw err;
        logger.warn(
          `MicroSocket: ignored the worker message '${message.message}': no @WORKER_MSG listens to it`,
        );
      }
    };
    Object.defineProperty(guard, GUARD, { value: true });
    process.off('message', micro);
    process.on('message', guard);
    guarded++;
  }
  return guarded;
}

const GUARD = Symbol.for('@pestras/micro-socket-plugin:guarded-worker-listener');
const MICRO_WORKER_LISTENER = /processMsgsListners\s*\[\s*msg\.message\s*\]/;
const UNKNOWN_NAME = /\(reading 'service'\)|undefined is not an object/;
