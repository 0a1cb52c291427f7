import { describe, expect, test } from 'vitest';
import { StickyRequestReader, type StickyRoute } from './sticky-request';
import { stickySessionId, workerIdOfSession } from './sticky-session';

const LIMITS = { paths: ['/socket.io/', '/ws/'], maxHeaderBytes: 1024, maxBodyBytes: 100 };

function read(...chunks: string[]): StickyRoute[] {
  const reader = new StickyRequestReader(LIMITS);
  return chunks.map((chunk) => reader.push(Buffer.from(chunk, 'latin1')));
}

describe('sticky session ids', () => {
  test('name the worker that created them, with 128 random bits', () => {
    const sid = stickySessionId(12);
    expect(sid).toMatch(/^12\.[A-Za-z0-9_-]{22}$/);
    expect(workerIdOfSession(sid)).toBe(12);
    expect(stickySessionId(12)).not.toBe(sid);
  });

  test('a foreign or forged id names no worker', () => {
    for (const sid of [
      'AbCdEfGhIjKlMnOpQrSt',
      '0.AbCdEfGhIjKlMnOpQrSt',
      '1.short',
      'x.AbCdEfGhIjKlMnOpQrSt',
      '',
    ]) {
      expect(workerIdOfSession(sid)).toBeUndefined();
    }
  });
});

describe('StickyRequestReader', () => {
  test('routes a handshake (no sid) once the head is complete, across chunks', () => {
    expect(read('GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: a', '\r\n\r\n')).toEqual([
      { action: 'wait' },
      { action: 'route', sid: undefined },
    ]);
  });

  test('routes by the sid of a polling request or a websocket upgrade', () => {
    const sid = stickySessionId(3);
    expect(read(`GET /socket.io/?EIO=4&transport=polling&sid=${sid} HTTP/1.1\r\nHost: a\r\n\r\n`)).toEqual([
      { action: 'route', sid },
    ]);
    expect(
      read(
        `GET /socket.io/?EIO=4&transport=websocket&sid=${encodeURIComponent(sid)} HTTP/1.1\r\n` +
          'Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n',
      ),
    ).toEqual([{ action: 'route', sid }]);
  });

  test('waits for the whole Content-Length body, so no byte is read after the hand-over', () => {
    const head = 'POST /socket.io/?EIO=4&transport=polling&sid=1.AbCdEfGhIjKlMnOpQrStUv HTTP/1.1\r\n';
    expect(read(`${head}Content-Length: 10\r\n\r\n12345`, '678', '90')).toEqual([
      { action: 'wait' },
      { action: 'wait' },
      { action: 'route', sid: '1.AbCdEfGhIjKlMnOpQrStUv' },
    ]);
    const reader = new StickyRequestReader(LIMITS);
    reader.push(Buffer.from(`${head}Content-Length: 3\r\n\r\n`));
    reader.push(Buffer.from('abc'));
    expect(reader.bytes().toString()).toBe(`${head}Content-Length: 3\r\n\r\nabc`);
  });

  test('waits for the last chunk of a chunked body, and not for a body sent after 100 Continue', () => {
    const head = 'POST /socket.io/?sid=2.AbCdEfGhIjKlMnOpQrStUv HTTP/1.1\r\n';
    expect(
      read(`${head}Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n`, '0\r\n\r\n').map((r) => r.action),
    ).toEqual(['wait', 'route']);
    expect(read(`${head}Content-Length: 50\r\nExpect: 100-continue\r\n\r\n`)).toEqual([
      { action: 'route', sid: '2.AbCdEfGhIjKlMnOpQrStUv' },
    ]);
  });

  test('reads the sid under every engine.io path, and ignores it elsewhere', () => {
    expect(read('GET /ws/?EIO=4&sid=1.AbCdEfGhIjKlMnOpQrStUv HTTP/1.1\r\n\r\n')).toEqual([
      { action: 'route', sid: '1.AbCdEfGhIjKlMnOpQrStUv' },
    ]);
    expect(read('GET /health?sid=1.AbCdEfGhIjKlMnOpQrStUv HTTP/1.1\r\n\r\n')).toEqual([
      { action: 'route', sid: undefined },
    ]);
  });

  test('refuses what is not a sound HTTP/1.x request, and oversized heads and bodies', () => {
    const status = (...chunks: string[]) => {
      const last = read(...chunks).at(-1);
      return last?.action === 'reject' ? last.status : last?.action;
    };
    expect(status('\x16\x03\x01 tls hello\r\n\r\n')).toBe(400);
    expect(status('GET / HTTP/2.0\r\n\r\n')).toBe(400);
    expect(status('GET / HTTP/1.1\r\nno colon here\r\n\r\n')).toBe(400);
    expect(status('GET /socket.io/?sid=a&sid=b HTTP/1.1\r\n\r\n')).toBe(400);
    expect(status('POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n')).toBe(400);
    expect(status('POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n')).toBe(400);
    expect(status('POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n')).toBe(400);
    expect(status('POST / HTTP/1.1\r\nContent-Length: 101\r\n\r\n')).toBe(413);
    expect(status('GET / HTTP/1.1\r\n', `X-Big: ${'a'.repeat(1100)}`)).toBe(431);
    expect(status(`GET / HTTP/1.1\r\nX-Big: ${'a'.repeat(1100)}\r\n\r\n`)).toBe(431);
  });

  test('keeps its decision once made', () => {
    const reader = new StickyRequestReader(LIMITS);
    const first = reader.push(Buffer.from('GET /socket.io/?EIO=4 HTTP/1.1\r\n\r\n'));
    expect(reader.push(Buffer.from('GET /other HTTP/1.1\r\n\r\n'))).toBe(first);
  });
});
