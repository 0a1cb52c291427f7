import { createServer } from 'node:http';
import { defineEvents, EVENT } from '@pestras/micro-socket-core';
import { asyncApiDiagnostics, client, connected, Resources, request } from '@pestras/micro-socket-testing';
import { toStandardJsonSchema } from '@valibot/to-json-schema';
import { Ajv } from 'ajv';
import { type } from 'arktype';
import type { Namespace, Server, Socket } from 'socket.io';
import * as v from 'valibot';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startSocketServer } from '../test/helpers';
import { type AsyncApiDocument, asyncApiDocument } from './asyncapi';
import { SocketServer } from './server';

const resources = new Resources();
afterEach(() => resources.stopAll());

const pushed = defineEvents({
  message: { args: [z.object({ room: z.string(), text: z.string() })] },
  'presence change': { args: [type({ name: 'string', online: 'boolean' })] },
});

class Chat {
  @EVENT('join', { args: [z.string().min(1)], ack: z.object({ room: z.string(), members: z.number() }) })
  join(_io: Server, _socket: Socket, room: string) {
    return { room, members: 1 };
  }

  @EVENT('say', ['blog'], {
    args: [toStandardJsonSchema(v.pipe(v.string(), v.maxLength(10))), type('string')],
  })
  say(_ns: Namespace, _socket: Socket, _room: string, _text: string) {}

  @EVENT('tag', { args: [v.string()], ack: v.boolean() })
  tag(_io: Server, _socket: Socket, _tag: string) {
    return true;
  }

  @EVENT('legacy')
  legacy() {}
}

describe('asyncApiDocument', () => {
  const doc = asyncApiDocument([new Chat()], { title: 'Chat', version: '1.2.3', emits: { default: pushed } });
  const channels = doc.channels as Record<string, { address: string; messages: Record<string, any> }>;
  const operations = doc.operations as Record<string, any>;

  it('parses with @asyncapi/parser 3 without errors', async () => {
    expect((await asyncApiDiagnostics(doc)).errors).toEqual([]);
    // and the check can fail: an operation on a channel that does not exist
    const broken = { ...doc, operations: { x: { action: 'receive', channel: { $ref: '#/channels/nope' } } } };
    expect((await asyncApiDiagnostics(broken)).errors).not.toEqual([]);
  });

  it('has a channel per namespace and an operation per event, acks as replies, pushed events as send', () => {
    expect(doc.info).toEqual({ title: 'Chat', version: '1.2.3' });
    expect(Object.values(channels).map((c) => c.address)).toEqual(['/', '/blog']);
    expect(Object.entries(operations).map(([key, op]) => [key, op.action])).toEqual([
      ['root_receive_join', 'receive'],
      ['root_receive_tag', 'receive'],
      ['root_receive_legacy', 'receive'],
      ['blog_receive_say', 'receive'],
      ['root_send_message', 'send'],
      ['root_send_presence_change', 'send'],
    ]);
    const join = channels.root?.messages.join;
    expect(join.payload).toEqual({
      type: 'array',
      items: [{ type: 'string', minLength: 1 }],
      additionalItems: false,
      maxItems: 1,
    });
    expect(operations.root_receive_join.reply.messages).toEqual([
      { $ref: '#/channels/root/messages/join_ack' },
    ]);
    expect(channels.root?.messages.join_ack.payload.anyOf[0]).toMatchObject({
      type: 'object',
      required: ['room', 'members'],
    });
    expect(channels.root?.messages.presence_change.name).toBe('presence change');
    // valibot through toStandardJsonSchema and arktype describe themselves
    expect(channels.blog?.messages.say.payload.items).toEqual([
      { type: 'string', maxLength: 10 },
      { type: 'string' },
    ]);
  });

  it('leaves a payload open, and says so, where a schema offers no JSON Schema or there is no contract', () => {
    const tag = channels.root?.messages.tag;
    expect(tag.description).toMatch(/not described/);
    expect(tag.payload.items[0].description).toMatch(/offers no JSON Schema.*vendor: valibot/);
    expect(Object.keys(tag.payload.items[0])).toEqual(['description']);
    expect(channels.root?.messages.tag_ack.payload.anyOf[0].description).toMatch(/offers no JSON Schema/);
    expect(channels.root?.messages.legacy.payload).toEqual({
      type: 'array',
      description: 'arguments not described: the event declares no `args` contract',
    });
  });
});

describe('asyncapi serving', () => {
  it('serves the document on the http server it created when asked, and nothing by default', async () => {
    const { url } = await startSocketServer(resources, [new Chat()], {
      asyncapi: { path: '/asyncapi.json', title: 'Chat', emits: { default: pushed } },
    });
    const res = await fetch(`${url}/asyncapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const served = (await res.json()) as AsyncApiDocument;
    expect(served).toEqual(
      JSON.parse(
        JSON.stringify(asyncApiDocument([new Chat()], { title: 'Chat', emits: { default: pushed } })),
      ),
    );
    expect((await fetch(`${url}/other`)).status).toBe(404);
    // socket.io still answers on the same server
    expect(await request(await connected(client(resources, url)), 'join', 'lobby')).toEqual({
      room: 'lobby',
      members: 1,
    });

    const { url: plain } = await startSocketServer(resources, [new Chat()]);
    expect((await fetch(`${plain}/asyncapi.json`)).status).toBe(404);
  });

  it('serves it on a given http server too, leaves its other requests to it and restores it on close', async () => {
    const web = createServer((_req, res) => res.end('app'));
    resources.add(web, (w) => new Promise((resolve) => w.close(resolve)));
    await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(web.address() as { port: number }).port}`;
    const server = await new SocketServer({ asyncapi: { path: '/docs/asyncapi.json' } }, web).start([
      new Chat(),
    ]);
    resources.add(server, (s) => s.close());
    expect(((await (await fetch(`${url}/docs/asyncapi.json`)).json()) as AsyncApiDocument).asyncapi).toBe(
      '3.0.0',
    );
    expect(await (await fetch(`${url}/`)).text()).toBe('app');
    await server.close();
    expect(await (await fetch(`${url}/docs/asyncapi.json`)).text()).toBe('app');
  });

  it('describes every ack the server sends, answer or failure, also where the answer is not described', async () => {
    const { url } = await startSocketServer(resources, [new Chat()], {
      asyncapi: { path: '/asyncapi.json' },
    });
    const served = (await (await fetch(`${url}/asyncapi.json`)).json()) as AsyncApiDocument;
    const channels = served.channels as Record<string, { messages: Record<string, { payload: object }> }>;
    // what a client or a broker checking messages against the document does (draft-07, as the document)
    const ajv = new Ajv({ strict: false });
    const valid = (message: string, value: unknown) => {
      const validate = ajv.compile(channels.root!.messages[message]!.payload);
      return validate(value) ? true : ajv.errorsText(validate.errors);
    };
    const socket = await connected(client(resources, url));
    const acks = {
      join_ack: [await request(socket, 'join', 'lobby'), await request(socket, 'join', '')],
      // tag's answer (valibot without toStandardJsonSchema) is open: it admits a failure too
      tag_ack: [await request(socket, 'tag', 'news'), await request(socket, 'tag', 42)],
    };
    expect(acks.join_ack[1]).toMatchObject({ error: { code: 'ERR_VALIDATION' } });
    expect(acks.tag_ack[1]).toMatchObject({ error: { code: 'ERR_VALIDATION' } });
    for (const [message, answers] of Object.entries(acks)) {
      for (const answer of answers) expect(valid(message, answer), JSON.stringify(answer)).toBe(true);
    }
    // and the check can fail: an answer the schema does not admit
    expect(valid('join_ack', { room: 'lobby' })).not.toBe(true);
  });

  it('refuses a path that is not one', async () => {
    await expect(
      new SocketServer({ port: 0, host: '127.0.0.1', asyncapi: { path: 'asyncapi.json' } }).start([]),
    ).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION' });
  });
});
