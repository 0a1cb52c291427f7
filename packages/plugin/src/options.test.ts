import { createServer } from 'node:http';
import { describe, expect, it } from 'vitest';
import { MicroSocketError } from './errors';
import { checkOptions, checkServerSource } from './options';

describe('MicroSocket options', () => {
  it('accepts nothing, null and the seed table', () => {
    expect(checkOptions(undefined)).toEqual({});
    expect(checkOptions(null)).toEqual({});
    const options = {
      serverOptions: { pingInterval: 1000 },
      maxListeners: 20,
      adapter: null,
      port: 0,
      host: '127.0.0.1',
      exitTimeout: 500,
    };
    expect(checkOptions(options)).toEqual(options);
  });

  it.each([
    [{ port: -1 }, 'port must be an integer from 0 to 65535, got number -1'],
    [{ port: '3001' }, 'port must be an integer from 0 to 65535, got "3001"'],
    [{ host: '' }, 'host must be a non-empty string'],
    [{ maxListeners: 1.5 }, 'maxListeners must be an integer'],
    [{ exitTimeout: Number.NaN }, 'exitTimeout must be an integer'],
    [{ serverOptions: 'cors' }, 'serverOptions must be an object'],
    [{ logger: console.log }, 'logger must be an object'],
    ['3001', 'options must be an object or null'],
  ])('refuses %j with ERR_INVALID_OPTIONS', (options, message) => {
    const error = (() => {
      try {
        checkOptions(options);
      } catch (err) {
        return err;
      }
    })();
    expect(error).toBeInstanceOf(MicroSocketError);
    expect(error).toMatchObject({ code: 'ERR_INVALID_OPTIONS' });
    expect((error as Error).message).toContain(message);
  });

  it('accepts an http server or a function as the server, and refuses anything else', () => {
    const server = createServer();
    const later = () => server;
    expect(checkServerSource(undefined)).toBeUndefined();
    expect(checkServerSource(null)).toBeUndefined();
    expect(checkServerSource(server)).toBe(server);
    expect(checkServerSource(later)).toBe(later);
    expect(() => checkServerSource({ port: 80 })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTIONS' }) as never,
    );
  });
});
