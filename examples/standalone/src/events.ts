// The chat's events, declared once: the server validates against them (Chat), the AsyncAPI
// document describes them (main.ts) and a TypeScript client is typed by them (the tests).
import { defineEvents } from '@pestras/micro-socket-core';
import { z } from 'zod';

const Room = z.string().regex(/^[\w-]{1,32}$/, 'a room name is 1 to 32 letters, digits, _ or -');

/** What clients send. */
export const chatEvents = defineEvents({
  join: { args: [Room], ack: z.object({ room: z.string(), members: z.number().int() }) },
  leave: { args: [Room], ack: z.object({ room: z.string() }) },
  say: {
    args: [Room, z.string().min(1, 'a message is 1 to 1000 characters').max(1000)],
    ack: z.object({ delivered: z.boolean() }),
  },
});

/** What the server sends. */
export const pushedEvents = defineEvents({
  welcome: { args: [z.object({ id: z.string(), name: z.string() })] },
  joined: { args: [z.object({ room: z.string(), name: z.string() })] },
  left: { args: [z.object({ room: z.string(), name: z.string() })] },
  message: { args: [z.object({ room: z.string(), from: z.string(), text: z.string() })] },
  presence: { args: [z.object({ name: z.string(), online: z.boolean(), reason: z.string() })] },
});
