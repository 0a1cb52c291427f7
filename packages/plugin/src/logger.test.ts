import { describe, expect, it } from 'vitest';
import { type MicroLoggerLike, microLogger } from './logger';

/** Records calls the way @pestras/micro 1.2.5's Logger receives them. */
function recordingMicroLogger() {
  const calls: Array<{ level: string; args: unknown[] }> = [];
  const logger: MicroLoggerLike = {
    error: (...args) => calls.push({ level: 'error', args }),
    warn: (...args) => calls.push({ level: 'warn', args }),
    info: (...args) => calls.push({ level: 'info', args }),
    debug: (...args) => calls.push({ level: 'debug', args }),
  };
  return { calls, logger };
}

describe('microLogger', () => {
  it('hands Micro one Error whose message carries the message and every meta value', () => {
    const { calls, logger } = recordingMicroLogger();
    const cause = Object.assign(new TypeError('x is undefined'), { code: 'E_X' });
    microLogger(() => logger).error("EVENT 'save' failed", cause, { socket: 'abc' });
    expect(calls).toHaveLength(1);
    const [error, extra] = calls[0]!.args as [Error, unknown];
    expect(calls[0]!.level).toBe('error');
    expect(extra).toBeUndefined(); // Micro prints error.message twice when given an extra message
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toBe("EVENT 'save' failed TypeError [E_X]: x is undefined { socket: 'abc' }");
    expect(error.stack).toContain(cause.stack!);
  });

  it('gives warn, info and debug a single line', () => {
    const { calls, logger } = recordingMicroLogger();
    const log = microLogger(() => logger);
    log.warn('slow middleware', 'HANDSHAKE', { ms: 12 });
    log.info('listening');
    log.debug('packet', ['a', 1]);
    expect(calls).toEqual([
      { level: 'warn', args: ['slow middleware HANDSHAKE { ms: 12 }'] },
      { level: 'info', args: ['listening'] },
      { level: 'debug', args: ["packet [ 'a', 1 ]"] },
    ]);
  });

  it('looks the logger up on every call and never throws', () => {
    let current: MicroLoggerLike | undefined;
    const log = microLogger(() => current);
    expect(() => log.error('nobody listens')).not.toThrow();
    current = {
      error: () => {
        throw new Error('broken logger');
      },
      warn: () => {
        throw new Error('broken logger');
      },
      info: () => {},
      debug: () => {},
    };
    expect(() => log.error('still fine')).not.toThrow();
    expect(() => log.warn('still fine')).not.toThrow();
    const { calls, logger } = recordingMicroLogger();
    current = logger;
    log.info('now recorded');
    expect(calls).toEqual([{ level: 'info', args: ['now recorded'] }]);
  });
});
