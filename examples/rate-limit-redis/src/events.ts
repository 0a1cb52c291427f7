// The chat's events, declared once: the server validates what clients send against them
// (user-limit.ts), and the AsyncAPI document at /asyncapi.json describes both directions (main.ts).
import { defineEvents } from '@pestras/micro-socket-core';
import { z } from 'zod';

const MESSAGE = 'a message is 1 to 1000 characters';

/** What clients send. */
export const chatEvents = defineEvents({
  say: { args: [z.string().min(1, MESSAGE).max(1000, MESSAGE)], ack: z.object({ delivered: z.boolean() }) },
});

/** What the server sends. */
export const pushedEvents = defineEvents({
  message: { args: [z.object({ from: z.string(), text: z.string() })] },
});
