// The chat's events, declared once with valibot: the server validates against them (main.ts),
// the AsyncAPI document at /asyncapi.json describes them. toStandardJsonSchema keeps each a
// valibot schema and lets it describe itself as JSON Schema.
import { defineEvents } from '@pestras/micro-socket';
import { toStandardJsonSchema } from '@valibot/to-json-schema';
import * as v from 'valibot';

export const MAX_TEXT = 1000;

const Room = toStandardJsonSchema(
  v.pipe(v.string(), v.regex(/^[\w-]{1,32}$/, 'a room name is 1 to 32 letters, digits, _ or -')),
);
// Its blank-text check has no JSON Schema: the document leaves this argument open and says so.
const Text = toStandardJsonSchema(
  v.pipe(
    v.string(),
    v.check((text) => text.trim().length > 0, `a message is 1 to ${MAX_TEXT} characters`),
    v.maxLength(MAX_TEXT, `a message is 1 to ${MAX_TEXT} characters`),
  ),
);
const SocketId = toStandardJsonSchema(
  v.pipe(v.string(), v.minLength(1, 'whisper to a socket id'), v.maxLength(64, 'whisper to a socket id')),
);

/** What clients send. */
export const chatEvents = defineEvents({
  join: { args: [Room], ack: toStandardJsonSchema(v.object({ room: v.string(), worker: v.number() })) },
  leave: { args: [Room], ack: toStandardJsonSchema(v.object({ room: v.string() })) },
  say: { args: [Room, Text], ack: toStandardJsonSchema(v.object({ delivered: v.boolean() })) },
  whisper: { args: [SocketId, Text], ack: toStandardJsonSchema(v.object({ sent: v.boolean() })) },
  // a member's answer to 'joined': "I am in this room too", to the newcomer's socket
  here: { args: [Room, SocketId], ack: toStandardJsonSchema(v.object({ sent: v.boolean() })) },
});

// who is in a room: the socket id to whisper to, the name, the worker serving it
const Member = toStandardJsonSchema(
  v.object({ room: v.string(), id: v.string(), name: v.string(), worker: v.number() }),
);

/** What the server sends. */
export const pushedEvents = defineEvents({
  welcome: {
    args: [
      toStandardJsonSchema(
        v.object({
          id: v.string(),
          name: v.string(),
          worker: v.number(),
          // a session recovered within connection state recovery's window, with its rooms
          recovered: v.boolean(),
          rooms: v.array(v.string()),
        }),
      ),
    ],
  },
  joined: { args: [Member] },
  present: { args: [Member] },
  left: { args: [Member] },
  message: {
    args: [
      toStandardJsonSchema(
        v.object({ room: v.string(), from: v.string(), text: v.string(), at: v.number() }),
      ),
    ],
  },
  whisper: {
    args: [toStandardJsonSchema(v.object({ from: v.string(), fromId: v.string(), text: v.string() }))],
  },
});
