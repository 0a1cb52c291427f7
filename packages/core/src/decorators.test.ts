import { createRequire } from 'node:module';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import * as core from './index';

// The same service source, compiled by tsc each way and evaluated against this package.
const serviceSource = `
import { CONNECT, DISCONNECT, EVENT, HANDSHAKE, RECONNECT, USE, USESOCKET } from '@pestras/micro-socket-core';
export class Base {
  @CONNECT() baseConnect() { return 'base'; }
}
export class Chat extends Base {
  @HANDSHAKE() first() {}
  @USE() second() {}
  @HANDSHAKE(['blog']) blogFirst() {}
  @CONNECT() onConnect() {}
  @RECONNECT(['default', 'blog']) onReconnect() {}
  @USESOCKET() packets() {}
  @EVENT('message') one() { return 1; }
  @EVENT('message') two() { return 2; }
  @EVENT('newArticle', ['blog']) article() {}
  @DISCONNECT() gone() {}
}
export class Other {
  @EVENT('message') three() { return 3; }
}
`;

function compile(source: string, experimentalDecorators: boolean): Record<string, any> {
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.CommonJS,
      experimentalDecorators,
    },
  });
  const module = { exports: {} as Record<string, any> };
  const localRequire = createRequire(import.meta.url);
  const requireShim = (id: string) => (id === '@pestras/micro-socket-core' ? core : localRequire(id));
  new Function('require', 'module', 'exports', outputText)(requireShim, module, module.exports);
  return module.exports;
}

for (const mode of ['legacy (experimentalDecorators)', 'TC39 standard'] as const) {
  describe(`decorators compiled by tsc, ${mode}`, () => {
    const legacy = mode.startsWith('legacy');

    it('writes metadata on the class, base classes first and in declaration order', () => {
      const { Chat } = compile(serviceSource, legacy);
      const entries = core.getHandlerMetadata(Chat);
      expect(entries.map((e) => `${e.hook}:${String(e.method)}:${e.namespaces.join(',')}`)).toEqual([
        'connect:baseConnect:/',
        'handshake:first:/',
        'use:second:/',
        'handshake:blogFirst:/blog',
        'connect:onConnect:/',
        'reconnect:onReconnect:/',
        'reconnect:onReconnect:/blog',
        'usesocket:packets:/',
        'event:one:/',
        'event:two:/',
        'event:article:/blog',
        'disconnect:gone:/',
      ]);
    });

    it('keeps own metadata per class: the base class does not see its subclass handlers', () => {
      const { Base, Chat } = compile(serviceSource, legacy);
      expect(core.getHandlerMetadata(Base).map((e) => e.method)).toEqual(['baseConnect']);
      expect(core.getOwnHandlerMetadata(Chat).some((e) => e.method === 'baseConnect')).toBe(false);
    });

    it('plans several handlers for one event in order, within a class and across classes', () => {
      const { Chat, Other } = compile(serviceSource, legacy);
      const chat = new Chat();
      const other = new Other();
      const plan = core.createHandlerPlan([chat, other]);
      expect([...plan.keys()]).toEqual(['/', '/blog']);
      const root = plan.get('/')!;
      const message = root.events.get('message')!;
      expect(message.map((ref) => ref.fn.call(ref.instance))).toEqual([1, 2, 3]);
      expect(message.map((ref) => ref.instance)).toEqual([chat, chat, other]);
      expect(root.middlewares.map((ref) => `${ref.hook}:${String(ref.method)}`)).toEqual([
        'handshake:first',
        'use:second',
      ]);
      expect(root.connect.map((ref) => ref.method)).toEqual(['baseConnect', 'onConnect']);
      expect(plan.get('/blog')!.events.get('newArticle')![0]!.method).toBe('article');
      expect(plan.get('/blog')!.middlewares.map((ref) => ref.method)).toEqual(['blogFirst']);
    });

    it('inherits handlers in a subclass that declares none and binds overrides', () => {
      const { Chat } = compile(serviceSource, legacy);
      class Quiet extends Chat {
        two() {
          return 22;
        }
      }
      const plan = core.createHandlerPlan([new Quiet()]);
      const message = plan.get('/')!.events.get('message')!;
      expect(message.map((ref) => ref.fn.call(ref.instance))).toEqual([1, 22]);
    });

    it('refuses EVENT without a name, with a non-string or a reserved name, when the class is defined', () => {
      for (const [arg, code] of [
        ['', 'ERR_EVENT_NAME_MISSING'],
        ['undefined as any', 'ERR_EVENT_NAME_MISSING'],
        ['42 as any', 'ERR_EVENT_NAME_INVALID'],
        ["'connect'", 'ERR_EVENT_NAME_RESERVED'],
        ["'connect_error'", 'ERR_EVENT_NAME_RESERVED'],
        ["'disconnect'", 'ERR_EVENT_NAME_RESERVED'],
        ["'disconnecting'", 'ERR_EVENT_NAME_RESERVED'],
        ["'newListener'", 'ERR_EVENT_NAME_RESERVED'],
        ["'removeListener'", 'ERR_EVENT_NAME_RESERVED'],
      ] as const) {
        const source = `import { EVENT } from '@pestras/micro-socket-core';
          export class Bad { @(EVENT as any)(${arg}) handler() {} }`;
        let caught: unknown;
        try {
          compile(source, legacy);
        } catch (err) {
          caught = err;
        }
        expect(caught, arg).toBeInstanceOf(core.DecoratorError);
        expect((caught as core.DecoratorError).code, arg).toBe(code);
      }
    });

    it('names the class and the method in every decorator error', () => {
      const failure = (source: string) => {
        try {
          compile(`import { CONNECT, EVENT } from '@pestras/micro-socket-core';\n${source}`, legacy);
        } catch (err) {
          return err as core.DecoratorError;
        }
        throw new Error(`no error for ${source}`);
      };
      // Standard decorators do not give a method decorator its class: the class is named for
      // static members (through a static initializer) and in legacy mode.
      const instance = legacy ? 'Chat.join' : 'join';
      expect(failure(`export class Chat { @EVENT('connect') join() {} }`).message).toMatch(
        new RegExp(`^EVENT on ${instance}: EVENT\\('connect'\\): 'connect' is reserved`),
      );
      expect(failure(`export class Chat { @CONNECT([42] as any) join() {} }`).message).toMatch(
        new RegExp(`^CONNECT on ${instance}: CONNECT: namespaces must be`),
      );
      const statics = failure(`export class Chat { @CONNECT() static join() {} }`);
      expect(statics.code).toBe('ERR_DECORATOR_TARGET');
      expect(statics.message).toMatch(/^CONNECT on Chat\.join: /);
    });

    it('refuses static methods and malformed namespaces', () => {
      expect(() =>
        compile(
          `import { CONNECT } from '@pestras/micro-socket-core'; export class S { @CONNECT() static c() {} }`,
          legacy,
        ),
      ).toThrow(core.DecoratorError);
      expect(() =>
        compile(
          `import { CONNECT } from '@pestras/micro-socket-core'; export class S { @CONNECT([42] as any) c() {} }`,
          legacy,
        ),
      ).toThrow(/namespaces must be a namespace name or a non-empty array of names/);
    });
  });
}

describe('decorators compiled by esbuild (this file, TC39 standard)', () => {
  it('defaults namespaces to the main server and accepts paths or names', () => {
    class Svc {
      @core.CONNECT() a() {}
      @core.CONNECT(['blog', '/blog', 'default']) b() {}
    }
    const entries = core.getHandlerMetadata(Svc);
    expect(entries.map((e) => [e.method, e.namespaces])).toEqual([
      ['a', ['/']],
      ['b', ['/blog']],
      ['b', ['/']],
    ]);
  });

  it('takes one namespace name as a string, the same as an array of one', () => {
    class Svc {
      @core.EVENT('x', 'blog') x() {}
      @core.EVENT('y', ['/blog']) y() {}
    }
    expect(core.getHandlerMetadata(Svc).map((e) => e.namespaces)).toEqual([['/blog'], ['/blog']]);
  });

  it('keeps the options of EVENT, given second or after the namespaces, in metadata and plan', () => {
    const text = z.string();
    const answer = z.object({ ok: z.boolean() });
    class Svc {
      @core.EVENT('a', { args: [text], ack: answer }) a(_io: unknown, _s: unknown, _t: string) {
        return { ok: true };
      }
      @core.EVENT('b', ['blog'], { args: [text] }) b() {}
      @core.EVENT('c', 'blog', {}) c() {}
      @core.EVENT('d', null, { ack: answer }) d() {
        return { ok: true };
      }
      @core.EVENT('e') e() {}
    }
    const entries = core.getHandlerMetadata(Svc);
    expect(entries.map((e) => [e.event, e.namespaces, e.options])).toEqual([
      ['a', ['/'], { args: [text], ack: answer }],
      ['b', ['/blog'], { args: [text] }],
      ['c', ['/blog'], {}],
      ['d', ['/'], { ack: answer }],
      ['e', ['/'], undefined],
    ]);
    const plan = core.createHandlerPlan([new Svc()]);
    expect(plan.get('/')?.events.get('a')?.[0]?.options?.args?.[0]).toBe(text);
    expect(plan.get('/')?.events.get('e')?.[0]).not.toHaveProperty('options');
  });

  it('refuses options that are not a contract of Standard Schemas, when the class is defined', () => {
    const cases: unknown[][] = [
      [{ args: z.string() }],
      [{ args: [z.string(), { parse() {} }] }],
      [{ ack: 'string' }],
      [{ args: [] }, {}],
      [[], 42],
      ['blog', 'x'],
      [{ arg: [z.string()] }], // a misspelt key would leave the event unvalidated
    ];
    for (const rest of cases) {
      let caught: unknown;
      try {
        // the error comes when the decorator is applied, naming the method
        const decorate = (core.EVENT as (...a: unknown[]) => core.HandlerDecorator)('x', ...rest);
        class Svc {
          @decorate handler() {}
        }
        void Svc;
      } catch (err) {
        caught = err;
      }
      expect(caught, JSON.stringify(rest)).toBeInstanceOf(core.DecoratorError);
      expect((caught as core.DecoratorError).code, JSON.stringify(rest)).toBe('ERR_EVENT_OPTIONS_INVALID');
    }
  });

  it('plans nothing for an undecorated instance and refuses a decorated name that is not a method', () => {
    expect(core.createHandlerPlan([{}]).size).toBe(0);
    class Svc {
      @core.EVENT('x') x() {}
    }
    const broken = new Svc();
    Object.defineProperty(broken, 'x', { value: 'not a function' });
    expect(() => core.createHandlerPlan([broken])).toThrow(/is not a function/);
  });
});
