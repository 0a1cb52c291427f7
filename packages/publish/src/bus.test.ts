import { MemoryHub } from '@pestras/micro-socket-publish/testing';
import { Resources, waitFor } from '@pestras/micro-socket-testing';
import { afterEach, describe, expect, test } from 'vitest';
import { describeSemantics, member, settle, startBusServer } from '../test/helpers';
import { defaultTransport, PublishBus } from './bus';
import { PROTOCOL } from './codec';
import { PublishError } from './errors';
import { localTransport, type PublishTransport } from './transport';

describeSemantics('semantics table over a MemoryHub (two servers, one process)', async () => {
  const hub = new MemoryHub();
  return [{ transport: hub.transport() }, { transport: hub.transport() }];
});

function capturingLogger() {
  const lines: Array<{ level: string; message: string }> = [];
  return {
    lines,
    logger: {
      error: (message: string) => lines.push({ level: 'error', message }),
      warn: (message: string) => lines.push({ level: 'warn', message }),
    },
  };
}

describe('PublishBus refuses bad messages at publish', () => {
  const resources = new Resources();
  afterEach(() => resources.stopAll());

  const circular: Record<string, unknown> = { a: 1 };
  circular.self = circular;
  class Point {
    x = 1;
  }
  const deep = (levels: number) => {
    let value: unknown = 'bottom';
    for (let i = 0; i < levels; i++) value = [value];
    return value;
  };
  const cases: Array<[string, unknown, string, RegExp]> = [
    ['not an object', 'news', 'ERR_INVALID_MESSAGE', /a message is an object/],
    ['no event', { data: [] }, 'ERR_INVALID_MESSAGE', /'event' must be a non-empty string/],
    ['an empty event', { event: '', data: [] }, 'ERR_INVALID_MESSAGE', /'event'/],
    ['a reserved event', { event: 'disconnect', data: [] }, 'ERR_INVALID_MESSAGE', /reserved/],
    ['no data', { event: 'e' }, 'ERR_INVALID_MESSAGE', /'data' must be an array/],
    ['data not an array', { event: 'e', data: 'x' }, 'ERR_INVALID_MESSAGE', /'data' must be an array/],
    ['a numeric room', { event: 'e', data: [], room: 5 }, 'ERR_INVALID_MESSAGE', /'room'/],
    ['a bad namespace', { event: 'e', data: [], namespace: {} }, 'ERR_INVALID_MESSAGE', /'namespace'/],
    ['a string broadcast', { event: 'e', data: [], broadcast: 'yes' }, 'ERR_INVALID_MESSAGE', /'broadcast'/],
    [
      'a function',
      { event: 'e', data: [{ f: () => 1 }] },
      'ERR_UNSERIALIZABLE',
      /data\[0\]\.f is a function/,
    ],
    ['a symbol', { event: 'e', data: [Symbol('s')] }, 'ERR_UNSERIALIZABLE', /data\[0\] is a symbol/],
    ['a BigInt', { event: 'e', data: [1n] }, 'ERR_UNSERIALIZABLE', /BigInt/],
    [
      'a circular object',
      { event: 'e', data: [circular] },
      'ERR_UNSERIALIZABLE',
      /data\[0\]\.self is a circular/,
    ],
    ['NaN', { event: 'e', data: [Number.NaN] }, 'ERR_UNSERIALIZABLE', /NaN/],
    ['a Map', { event: 'e', data: [new Map()] }, 'ERR_UNSERIALIZABLE', /instance of Map/],
    ['a class instance', { event: 'e', data: [new Point()] }, 'ERR_UNSERIALIZABLE', /instance of Point/],
    [
      'a throwing getter',
      {
        event: 'e',
        data: [
          {
            get secret() {
              throw new Error('no access');
            },
          },
        ],
      },
      'ERR_UNSERIALIZABLE',
      /reading the message failed: Error: no access/,
    ],
    [
      'a throwing toJSON',
      {
        event: 'e',
        data: [
          { toJSON: () => 1 },
          new (class {
            toJSON() {
              throw new Error('nope');
            }
          })(),
        ],
      },
      'ERR_UNSERIALIZABLE',
      /nope/,
    ],
    ['a too deep nesting', { event: 'e', data: [deep(600)] }, 'ERR_UNSERIALIZABLE', /deeper than 512/],
  ];

  test.each(cases)('%s', async (_, message, code, text) => {
    const hub = new MemoryHub();
    const A = await startBusServer(resources, { transport: hub.transport() });
    const B = await startBusServer(resources, { transport: hub.transport() });
    const a = await member(resources, A);
    const b = await member(resources, B);
    const failure = await A.bus.publish(message as any, { includeSelf: true }).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(PublishError);
    expect(failure).toMatchObject({ code });
    expect((failure as Error).message).toMatch(text);
    await settle(A.bus, [a, b], ['/']);
    // Nothing but the fence reached anyone, here or there.
    expect([...a.events, ...b.events].map((e) => e.event)).toEqual(['fence', 'fence']);
  });

  test('bad options and a closed bus are refused too', async () => {
    const { io } = await startBusServer(resources);
    const bus = new PublishBus(io, { transport: localTransport() });
    await expect(bus.publish({ event: 'e', data: [] }, { includeSelf: 'yes' as any })).rejects.toMatchObject({
      code: 'ERR_INVALID_OPTIONS',
    });
    await bus.close();
    await bus.close();
    await expect(bus.publish({ event: 'e', data: [] })).rejects.toMatchObject({ code: 'ERR_CLOSED' });
    expect(() => new PublishBus({} as any)).toThrow(PublishError);
    expect(() => new PublishBus(io, { transport: {} as any })).toThrow(
      /transport must be a PublishTransport/,
    );
  });

  test('a transport failure rejects publish with ERR_TRANSPORT', async () => {
    const failing: PublishTransport = {
      name: 'failing',
      publish: () => Promise.reject(new Error('socket hang up')),
      subscribe() {},
      close() {},
    };
    const { io } = await startBusServer(resources);
    const bus = new PublishBus(io, { transport: failing });
    const failure = await bus.publish({ event: 'e', data: [] }).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(PublishError);
    expect(failure).toMatchObject({ code: 'ERR_TRANSPORT', cause: new Error('socket hang up') });
    await bus.close();
  });
});

/** A transport whose inbound side the test drives: `deliver` hands the bus a raw payload. */
function inboundTransport(): { transport: PublishTransport; deliver: (payload: string) => void } {
  let handler: ((payload: string) => void) | undefined;
  const transport: PublishTransport = {
    name: 'inbound',
    publish: () => {},
    subscribe: (h) => {
      handler = h;
    },
    close() {},
  };
  return { transport, deliver: (payload) => handler?.(payload) };
}

describe('PublishBus on the receiving side', () => {
  const resources = new Resources();
  afterEach(() => resources.stopAll());

  test('drops and logs what does not parse, never executes it, and keeps delivering', async () => {
    const hub = new MemoryHub();
    const raw = hub.transport();
    const { lines, logger } = capturingLogger();
    const A = await startBusServer(resources, { transport: hub.transport() });
    const B = await startBusServer(resources, { transport: hub.transport(), logger });
    const b = await member(resources, B);
    const envelope = (m: unknown, extra: object = {}) =>
      JSON.stringify({ p: PROTOCOL, v: 1, id: Math.random().toString(36), origin: 'elsewhere', m, ...extra });
    const hostile = [
      'not json',
      '{"p":"someone-else"}',
      envelope({ event: 'e', data: [] }, { v: 99 }),
      envelope({ event: 'connect', data: [] }),
      envelope({ event: 'e', data: 'not an array' }),
      envelope({ event: 'e', data: [{ $: 'fn', v: 'process.exit(1)' }] }),
      envelope({ event: 'e', data: [{ $: 'buf', v: 5 }] }),
    ];
    for (const payload of hostile) await raw.publish(payload);
    await waitFor('every bad payload logged', () => lines.length === hostile.length);
    expect(lines.every((l) => l.level === 'warn' && /dropped a message/.test(l.message))).toBe(true);
    // A "__proto__" key stays a key: it does not become a prototype anywhere.
    await raw.publish(
      envelope({ event: 'proto', data: [JSON.parse('{"__proto__":{"polluted":true},"ok":1}')] }),
    );
    await A.bus.publish({ event: 'after', data: ['fine'] });
    await waitFor('delivery after the bad payloads', () => b.count('after') === 1);
    expect(b.count('e')).toBe(0);
    expect(b.events.find((e) => e.event === 'proto')?.args).toEqual([
      { ['__proto__']: { polluted: true }, ok: 1 },
    ]);
    expect(({} as any).polluted).toBeUndefined();
  });

  test('a message with a known id is delivered once, even if the transport repeats it', async () => {
    const { transport, deliver } = inboundTransport();
    const B = await startBusServer(resources, { transport });
    const b = await member(resources, B);
    const payload = JSON.stringify({
      p: PROTOCOL,
      v: 1,
      id: 'same',
      origin: 'x',
      m: { event: 'once', data: [] },
    });
    deliver(payload);
    deliver(payload);
    deliver(JSON.stringify({ p: PROTOCOL, v: 1, id: 'next', origin: 'x', m: { event: 'next', data: [] } }));
    await waitFor('the next message', () => b.count('next') === 1);
    expect(b.count('once')).toBe(1);
  });

  // Message ids are a per-bus random prefix and a counter: the n-th messages of two buses must
  // not be taken for one another (the mutant "id = counter" delivers only one of each pair).
  test('the n-th messages of two publishing buses are both delivered', async () => {
    const hub = new MemoryHub();
    const A = await startBusServer(resources, { transport: hub.transport() });
    const B = await startBusServer(resources, { transport: hub.transport() });
    const C = await startBusServer(resources, { transport: hub.transport() });
    const c = await member(resources, C);
    for (let i = 0; i < 3; i++) {
      await A.bus.publish({ event: 'from-a', data: [i] });
      await B.bus.publish({ event: 'from-b', data: [i] });
    }
    await waitFor('three messages from each bus', () => c.count('from-a') === 3 && c.count('from-b') === 3);
    expect(c.events.filter((e) => e.event === 'from-b').map((e) => e.args)).toEqual([[0], [1], [2]]);
  });

  test('remembers the last 10,000 ids: a recent repeat is refused, the oldest is forgotten', async () => {
    const { transport, deliver } = inboundTransport();
    const B = await startBusServer(resources, { transport });
    const b = await member(resources, B);
    const payload = (id: string, event: string, namespace?: string) =>
      JSON.stringify({ p: PROTOCOL, v: 1, id, origin: 'x', m: { event, data: [], namespace } });
    deliver(payload('first', 'first'));
    // 9,999 more ids fill the memory; the namespace has no server here, so nothing is delivered.
    for (let i = 1; i < 10_000; i++) deliver(payload(`filler-${i}`, 'filler', '/nobody'));
    deliver(payload('recent', 'recent'));
    deliver(payload('recent', 'recent'));
    deliver(payload('first', 'first'));
    deliver(payload('fence', 'fence'));
    await waitFor('the fence', () => b.count('fence') === 1);
    expect(b.count('recent')).toBe(1);
    expect(b.count('first')).toBe(2);
  });

  test('a bus ignores its own messages coming back from the transport', async () => {
    let handler: ((payload: string) => void) | undefined;
    const echoing: PublishTransport = {
      name: 'echo',
      publish: (payload) => handler?.(payload),
      subscribe: (h) => {
        handler = h;
      },
      close() {},
    };
    const A = await startBusServer(resources, { transport: echoing });
    const a = await member(resources, A);
    await A.bus.publish({ event: 'mine', data: [] }, { includeSelf: true });
    await A.bus.publish({ event: 'not-mine', data: [] });
    await settle(A.bus, [a], ['/']);
    expect(a.count('mine')).toBe(1);
    expect(a.count('not-mine')).toBe(0);
  });

  // Guards against the mutation "a logger that throws escapes safeLogger": the bus reports a
  // dropped message from inside the transport's callback, where a throw would escape to the
  // transport (here: out of `deliver`, synchronously, into this test).
  test('a throwing logger does not break the bus', async () => {
    const { transport, deliver } = inboundTransport();
    const attempts: string[] = [];
    const thrower = {
      error: (message: string) => {
        attempts.push(message);
        throw new Error('logger down');
      },
      warn: (message: string) => {
        attempts.push(message);
        throw new Error('logger down');
      },
    };
    const B = await startBusServer(resources, { transport, logger: thrower });
    const b = await member(resources, B);
    expect(() => deliver('garbage')).not.toThrow();
    expect(attempts).toHaveLength(1); // the drop was reported: the logger really threw
    expect(attempts[0]).toMatch(/dropped a message/);
    deliver(JSON.stringify({ p: PROTOCOL, v: 1, id: 'after', origin: 'x', m: { event: 'ok', data: [] } }));
    await waitFor('delivery after the logger threw', () => b.count('ok') === 1);
  });
});

describe('defaultTransport', () => {
  const resources = new Resources();
  afterEach(() => resources.stopAll());

  test('is local-only in a single process without an adapter, and harmless', async () => {
    const A = await startBusServer(resources);
    expect(A.bus.transport.name).toBe('local');
    expect(defaultTransport(A.io).name).toBe('local');
    const a = await member(resources, A);
    await A.bus.publish({ event: 'nobody', data: [] });
    await A.bus.publish({ event: 'me', data: [] }, { includeSelf: true });
    await settle(A.bus, [a], ['/']);
    expect([a.count('nobody'), a.count('me')]).toEqual([0, 1]);
  });
});
