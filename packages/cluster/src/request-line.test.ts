import { describe, expect, test } from 'vitest';
import { type ConnectionRoute, RequestLineReader } from './request-line';
import { stickySessionId, workerIdOfSession } from './sticky-session';

const LIMITS = { paths: ['/socket.io/', '/ws/'], maxRequestLineBytes: 1024 };

function read(...chunks: string[]): ConnectionRoute[] {
  const reader = new RequestLineReader(LIMITS);
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

describe('RequestLineReader', () => {
  test('routes a handshake (no sid) once the request line is complete, across chunks', () => {
    expect(read('GET /socket.io/?EIO=4&transport=pol', 'ling HTTP/1.1\r', '\nHost: a')).toEqual([
      { action: 'wait' },
      { action: 'wait' },
      { action: 'route', sid: undefined },
    ]);
  });

  test('routes by the sid of a polling request or a websocket upgrade, before any header', () => {
    const sid = stickySessionId(3);
    expect(read(`POST /socket.io/?EIO=4&transport=polling&sid=${sid} HTTP/1.1\r\n`)).toEqual([
      { action: 'route', sid },
    ]);
    expect(
      read(`GET /socket.io/?EIO=4&transport=websocket&sid=${encodeURIComponent(sid)} HTTP/1.1\r\n`),
    ).toEqual([{ action: 'route', sid }]);
  });

  test('hands over every byte it read, the head and body after the line included', () => {
    const request =
      'POST /socket.io/?EIO=4&transport=polling&sid=1.AbCdEfGhIjKlMnOpQrStUv HTTP/1.1\r\n' +
      'Host: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n40';
    const reader = new RequestLineReader(LIMITS);
    expect(reader.push(Buffer.from(request.slice(0, 10)))).toEqual({ action: 'wait' });
    expect(reader.push(Buffer.from(request.slice(10)))).toEqual({
      action: 'route',
      sid: '1.AbCdEfGhIjKlMnOpQrStUv',
    });
    expect(reader.bytes().toString('latin1')).toBe(request);
  });

  test('skips the empty lines llhttp skips before the request line', () => {
    expect(read('\r\n\r\n', '\nGET /ws/?sid=2.AbCdEfGhIjKlMnOpQrStUv HTTP/1.1\r\n')).toEqual([
      { action: 'wait' },
      { action: 'route', sid: '2.AbCdEfGhIjKlMnOpQrStUv' },
    ]);
  });

  test('reads the sid under every engine.io path only, as engine.io does', () => {
    expect(read('GET /ws/?EIO=4&sid=1.AbCdEfGhIjKlMnOpQrStUv HTTP/1.1\r\n')).toEqual([
      { action: 'route', sid: '1.AbCdEfGhIjKlMnOpQrStUv' },
    ]);
    for (const target of [
      '/health?sid=1.AbCdEfGhIjKlMnOpQrStUv',
      'http://host/socket.io/?sid=1.AbCdEfGhIjKlMnOpQrStUv',
      '/socket.io?sid=1.AbCdEfGhIjKlMnOpQrStUv',
    ]) {
      expect(read(`GET ${target} HTTP/1.1\r\n`)).toEqual([{ action: 'route', sid: undefined }]);
    }
    expect(read('GET /socket.io/?EIO=4&sid= HTTP/1.1\r\n')).toEqual([{ action: 'route', sid: undefined }]);
    // engine.io's reading of a repeated parameter: the last one.
    expect(read('GET /ws/?sid=1.AbCdEfGhIjKlMnOpQrStUv&sid=2.AbCdEfGhIjKlMnOpQrStUv HTTP/1.1\r\n')).toEqual([
      { action: 'route', sid: '2.AbCdEfGhIjKlMnOpQrStUv' },
    ]);
  });

  test('refuses what is not HTTP; leaves every other judgement to the worker', () => {
    const status = (...chunks: string[]) => {
      const last = read(...chunks).at(-1);
      return last?.action === 'reject' ? last.status : last?.action;
    };
    expect(status('\x16\x03\x01 tls hello\r\n')).toBe(400);
    expect(status('get / HTTP/1.1\r\n')).toBe(400);
    expect(status(' GET / HTTP/1.1\r\n')).toBe(400);
    // llhttp's call (it refuses both), answered by the worker as in a single process.
    expect(status('GET / HTTP/2.5\r\n')).toBe('route');
    expect(status('GET /a\tb HTTP/1.1\r\n')).toBe('route');
  });

  test('refuses a request line over maxRequestLineBytes with 414, leading empty lines counted', () => {
    const status = (...chunks: string[]) => {
      const last = read(...chunks).at(-1);
      return last?.action === 'reject' ? last.status : last?.action;
    };
    expect(status(`GET /${'a'.repeat(1100)}`)).toBe(414);
    expect(status(`GET /${'a'.repeat(1100)} HTTP/1.1\r\n`)).toBe(414);
    expect(status('\r\n'.repeat(600))).toBe(414);
    expect(status(`GET /${'a'.repeat(1000)} HTTP/1.1\r\n`)).toBe('route');
  });

  test('keeps its decision once made', () => {
    const reader = new RequestLineReader(LIMITS);
    const first = reader.push(Buffer.from('GET /socket.io/?EIO=4 HTTP/1.1\r\n'));
    expect(reader.push(Buffer.from('GET /other HTTP/1.1\r\n\r\n'))).toBe(first);
  });

  test('finding 1 (regression): the header that took the old reader over 60 s is not even parsed', () => {
    // `X:` then 16 300 spaces and a bare LF: the old header regex backtracked cubically on it.
    const attack = `POST /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nX:${' '.repeat(16_300)}\n\r\n`;
    const reader = new RequestLineReader({ paths: ['/socket.io/'], maxRequestLineBytes: 8_192 });
    expect(reader.push(Buffer.from(attack, 'latin1'))).toEqual({ action: 'route', sid: undefined });
    expect(reader.bytes().length).toBe(attack.length);
  });
});

describe('RequestLineReader with a routing cookie', () => {
  const COOKIE_LIMITS = { ...LIMITS, cookieNames: ['io'] };
  const previous = '2.q1Lx0sY7Wm2cPZQeVbq3aw';
  function readWithCookie(...chunks: string[]): ConnectionRoute[] {
    const reader = new RequestLineReader(COOKIE_LIMITS);
    return chunks.map((chunk) => reader.push(Buffer.from(chunk, 'latin1')));
  }

  test('routes a handshake by the previous session id in its cookie, as soon as the cookie is read', () => {
    expect(
      readWithCookie(
        'GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: a\r\nCoo',
        `kie: theme=dark; io=${previous}; x=1\r\nAccept: */*\r\n`,
      ),
    ).toEqual([{ action: 'wait' }, { action: 'route', sid: undefined, previousSid: previous }]);
    // Any case of the header name, bare LF, quotes, percent-encoding, a second Cookie header.
    expect(
      readWithCookie(
        `GET /ws/?EIO=4&transport=websocket HTTP/1.1\nCOOKIE: a=1\ncookie:io="${encodeURIComponent(previous)}"\n\n`,
      ),
    ).toEqual([{ action: 'route', sid: undefined, previousSid: previous }]);
  });

  test('a handshake without the cookie is routed at the end of its head, or at the limit', () => {
    expect(
      readWithCookie('GET /socket.io/?EIO=4 HTTP/1.1\r\nHost: a\r\n', 'Cookie: other=1\r\n', '\r\n'),
    ).toEqual([{ action: 'wait' }, { action: 'wait' }, { action: 'route', sid: undefined }]);
    // A head longer than maxRequestLineBytes without the cookie first: routed without it, never refused
    // (the worker's llhttp judges the head, as in a single process).
    const long = readWithCookie(
      `GET /socket.io/?EIO=4 HTTP/1.1\r\nX-Pad: ${'p'.repeat(2_000)}\r\nCookie: io=${previous}\r\n\r\n`,
    );
    expect(long).toEqual([{ action: 'route', sid: undefined }]);
  });

  test('only handshakes wait for their head: requests with a sid and other routes go on the request line', () => {
    const sid = '1.AbCdEfGhIjKlMnOpQrStUv';
    expect(readWithCookie(`GET /socket.io/?EIO=4&sid=${sid} HTTP/1.1\r\n`)).toEqual([
      { action: 'route', sid },
    ]);
    expect(readWithCookie('GET /health HTTP/1.1\r\n')).toEqual([{ action: 'route', sid: undefined }]);
  });

  test('other cookies, empty values and a cookie named like it inside another value do not count', () => {
    for (const header of [
      'xio=1.AbCdEfGhIjKlMnOpQrStUv',
      'io=',
      'a="io=1.AbCdEfGhIjKlMnOpQrStUv',
      'io%=x',
      'i o=1',
    ]) {
      const routes = readWithCookie(`GET /socket.io/?EIO=4 HTTP/1.1\r\nCookie: ${header}\r\n\r\n`);
      expect(routes.at(-1)).toEqual({ action: 'route', sid: undefined });
    }
  });

  test('the routing cookie after many other cookies (a busy site) is found, in linear time', () => {
    const others = Array.from({ length: 300 }, (_, i) => `c${i}=${i}`).join('; ');
    for (const header of [
      `${others}; io=${previous}`,
      // Pairs without `=` before it: each `=` is searched for once, not once per pair.
      `${'a;'.repeat(3_000)}io=${previous}`,
    ]) {
      const reader = new RequestLineReader({ ...COOKIE_LIMITS, maxRequestLineBytes: 8_192 });
      const head = `GET /socket.io/?EIO=4 HTTP/1.1\r\nCookie: ${header}\r\n\r\n`;
      expect(reader.push(Buffer.from(head, 'latin1'))).toEqual({
        action: 'route',
        sid: undefined,
        previousSid: previous,
      });
    }
  });

  test('a million cookies or a megabyte of header lines cost linear time and are cut at the limit', () => {
    const attacks = [
      `GET /socket.io/?EIO=4 HTTP/1.1\r\nCookie: ${';'.repeat(1_000_000)}\r\n\r\n`,
      `GET /socket.io/?EIO=4 HTTP/1.1\r\n${'Cookie: a=1\r\n'.repeat(80_000)}\r\n`,
      `GET /socket.io/?EIO=4 HTTP/1.1\r\nX-Long: ${'x'.repeat(1_000_000)}`,
    ];
    for (const attack of attacks) {
      const reader = new RequestLineReader({
        paths: ['/socket.io/'],
        maxRequestLineBytes: 8_192,
        cookieNames: ['io'],
      });
      const bytes = Buffer.from(attack, 'latin1');
      let route: ConnectionRoute = { action: 'wait' };
      // One byte at a time first (the copy into the reader's buffer must stay linear), then 64 KB reads.
      for (let at = 0; at < bytes.length && route.action === 'wait'; ) {
        const size = at < 9_000 ? 1 : 65_536;
        route = reader.push(bytes.subarray(at, at + size));
        at += size;
      }
      expect(route.action).toBe('route');
      // Decided the byte after the limit, while still read one byte at a time.
      expect(reader.length).toBe(8_193);
    }
  });
});
