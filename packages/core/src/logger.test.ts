import { describe, expect, it } from 'vitest';
import { safeLogger } from './logger';

describe('safeLogger', () => {
  // Guards against the mutation "a logger that throws escapes safeLogger": a handled failure
  // reported to a broken logger would then become a crash of the process.
  it('calls a throwing logger and swallows what it throws, at every level', () => {
    const attempts: string[] = [];
    const broken = (level: string) => (message: string) => {
      attempts.push(`${level}:${message}`);
      throw new Error(`${level} logger down`);
    };
    const log = safeLogger({
      error: broken('error'),
      warn: broken('warn'),
      info: broken('info'),
      debug: broken('debug'),
    });
    expect(() => log.error('e', { meta: 1 })).not.toThrow();
    expect(() => log.warn('w')).not.toThrow();
    expect(() => log.info('i')).not.toThrow();
    expect(() => log.debug('d')).not.toThrow();
    expect(attempts).toEqual(['error:e', 'warn:w', 'info:i', 'debug:d']);
  });

  it('swallows a logger that throws something that is not an Error, or is not a function', () => {
    const log = safeLogger({
      error: () => {
        throw 'a string';
      },
      warn: 42 as never,
    });
    expect(() => log.error('e')).not.toThrow();
    expect(() => log.warn('w')).not.toThrow();
  });
});
