import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  createHandlerPlan,
  type EventContracts,
  type EventOptions,
  type HandlerPlan,
  namespacePath,
  type StandardSchemaV1,
} from '@pestras/micro-socket-core';
import { SocketError } from './errors';

/**
 * What {@link asyncApiDocument} puts in the document besides the handlers: its `info`, and the
 * events the server sends, declared once with the same contracts as those clients send.
 *
 * @example
 * ```ts
 * const pushed = defineEvents({ message: { args: [z.object({ text: z.string() })] } });
 * const options: AsyncApiOptions = { title: 'Chat', version: '1.0.0', emits: { default: pushed } };
 * ```
 */
export interface AsyncApiOptions {
  /** `info.title`; `'micro-socket service'` by default. */
  title?: string;
  /** `info.version`; `'0.0.0'` by default. */
  version?: string;
  /** `info.description`. */
  description?: string;
  /** Events the server sends, by namespace name as the decorators take it (`'default'`, `'blog'`). */
  emits?: Readonly<Record<string, EventContracts>> | null;
}

/**
 * `asyncapi` of {@link SocketIOOptions}: serve the document at `path` (GET) on the http server
 * socket.io is attached to. Off unless given.
 *
 * @example
 * ```ts
 * new SocketServer({ asyncapi: { path: '/asyncapi.json', title: 'Chat', emits: { default: pushed } } });
 * ```
 */
export interface AsyncApiServing extends AsyncApiOptions {
  /** The request path, starting with `/`, such as `'/asyncapi.json'`. */
  path: string;
}

/**
 * An AsyncAPI 3.0 document, as plain JSON.
 *
 * @example
 * ```ts
 * const doc: AsyncApiDocument = asyncApiDocument([new Chat()]);
 * doc.asyncapi; // '3.0.0'
 * ```
 */
export interface AsyncApiDocument {
  readonly asyncapi: '3.0.0';
  readonly info: { readonly title: string; readonly version: string; readonly description?: string };
  readonly defaultContentType: 'application/json';
  readonly channels: Record<string, unknown>;
  readonly operations: Record<string, unknown>;
}

type JsonSchema = Record<string, unknown>;

const OPEN = 'not described: the schema offers no JSON Schema (Standard JSON Schema, `~standard.jsonSchema`)';

/** The JSON Schema of one schema, or an open schema that says why there is none. */
function jsonSchemaOf(
  schema: StandardSchemaV1,
  io: 'input' | 'output',
): { schema: JsonSchema; open: boolean } {
  const props = schema['~standard'] as StandardSchemaV1['~standard'] & {
    jsonSchema?: {
      input?: (o: { target: string }) => JsonSchema;
      output?: (o: { target: string }) => JsonSchema;
    };
  };
  const convert = props.jsonSchema?.[io];
  if (typeof convert === 'function') {
    try {
      // draft-07: the AsyncAPI schema format is a superset of it.
      const { $schema: _dialect, ...json } = convert({ target: 'draft-07' });
      return { schema: json, open: false };
    } catch {
      // a schema the library cannot express in JSON Schema (a transform, a custom check): open
    }
  }
  return { schema: { description: `${OPEN}; vendor: ${String(props.vendor)}` }, open: true };
}

/** The arguments of an event as one JSON array schema: socket.io events carry several values. */
function argumentsPayload(
  contract: EventOptions | undefined,
  io: 'input' | 'output',
): { payload: JsonSchema; open: boolean } {
  const schemas = contract?.args;
  if (!schemas) {
    return {
      payload: {
        type: 'array',
        description: 'arguments not described: the event declares no `args` contract',
      },
      open: true,
    };
  }
  let open = false;
  const items = schemas.map((s) => {
    const json = jsonSchemaOf(s, io);
    open ||= json.open;
    return json.schema;
  });
  return {
    payload: { type: 'array', items, additionalItems: false, maxItems: items.length },
    open,
  };
}

const FAILURE_SCHEMA: JsonSchema = {
  type: 'object',
  description:
    'the server refused or failed the event (ERR_VALIDATION, ERR_INTERNAL, a SocketError of the handler, ...)',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string' },
        message: { type: 'string' },
        issues: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              path: { type: 'array', items: { type: ['string', 'number'] } },
              message: { type: 'string' },
            },
          },
        },
      },
    },
  },
};

/** Keys the document may use: letters, digits, `_` and `-`, unique within their map. */
function keyFor(name: string, used: Set<string>): string {
  const base = name.replace(/[^A-Za-z0-9_-]/g, '_') || '_';
  let key = base;
  for (let n = 2; used.has(key); n++) key = `${base}_${n}`;
  used.add(key);
  return key;
}

/**
 * Builds an AsyncAPI 3.0 document from decorated handler instances (or their plan) and their
 * event contracts: a channel per namespace, a `receive` operation per EVENT with its arguments
 * as a JSON array payload, the ack as the operation's reply (the `ack` schema's output, or an
 * error), and a `send` operation per event of `options.emits`. Payloads come from the Standard
 * JSON Schema interface (zod ≥ 4.2, arktype ≥ 2.1, valibot through `toStandardJsonSchema` of
 * `@valibot/to-json-schema`); a schema without it leaves its payload open, and its description
 * says so.
 *
 * @example
 * ```ts
 * const doc = asyncApiDocument([new Chat()], { title: 'Chat', version: '1.0.0', emits: { default: pushed } });
 * writeFileSync('asyncapi.json', JSON.stringify(doc, null, 2));
 * ```
 */
export function asyncApiDocument(
  handlers: Iterable<object> | HandlerPlan,
  options: AsyncApiOptions = {},
): AsyncApiDocument {
  const plan = handlers instanceof Map ? handlers : createHandlerPlan(handlers);
  const channelKeys = new Set<string>();
  const operationKeys = new Set<string>();
  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  const byPath = new Map<string, { key: string; messages: Record<string, unknown>; used: Set<string> }>();

  const channelOf = (path: string) => {
    let channel = byPath.get(path);
    if (!channel) {
      const key = keyFor(path === '/' ? 'root' : path.slice(1), channelKeys);
      channel = { key, messages: {}, used: new Set() };
      byPath.set(path, channel);
      channels[key] = {
        address: path,
        title: path === '/' ? 'main namespace' : `namespace ${path}`,
        description: `The socket.io namespace \`${path}\`; each message is one event, its payload the array of the event's arguments.`,
        messages: channel.messages,
      };
    }
    return channel;
  };

  const addOperation = (
    path: string,
    action: 'send' | 'receive',
    event: string,
    contract: EventOptions | undefined,
  ) => {
    const channel = channelOf(path);
    const ref = { $ref: `#/channels/${channel.key}` };
    const messageKey = keyFor(event, channel.used);
    const { payload, open } = argumentsPayload(contract, 'input');
    channel.messages[messageKey] = {
      name: event,
      title: event,
      ...(open ? { description: 'Some arguments are not described: see their schemas.' } : {}),
      payload,
    };
    const operation: Record<string, unknown> = {
      action,
      channel: ref,
      summary: action === 'receive' ? `a client sends '${event}'` : `the server sends '${event}'`,
      messages: [{ $ref: `#/channels/${channel.key}/messages/${messageKey}` }],
    };
    if (action === 'receive' && contract?.ack) {
      const ackKey = keyFor(`${event}_ack`, channel.used);
      const answer = jsonSchemaOf(contract.ack, 'output');
      channel.messages[ackKey] = {
        name: `${event} ack`,
        title: `${event} ack`,
        description: `The acknowledgement of '${event}': the handler's answer, or an error.${answer.open ? ' The answer is not described: see its schema.' : ''}`,
        // anyOf, not oneOf: an open answer (or one that admits objects) also matches a failure,
        // and oneOf would call that failure invalid.
        payload: { anyOf: [answer.schema, FAILURE_SCHEMA] },
      };
      operation.reply = {
        channel: ref,
        messages: [{ $ref: `#/channels/${channel.key}/messages/${ackKey}` }],
      };
    }
    operations[keyFor(`${channel.key}_${action}_${event}`, operationKeys)] = operation;
  };

  for (const [path, ns] of plan) {
    for (const [event, refs] of ns.events) {
      const contract = refs.find((r) => r.options?.args || r.options?.ack)?.options;
      addOperation(path, 'receive', event, contract);
    }
  }
  for (const [name, contracts] of Object.entries(options.emits ?? {})) {
    for (const [event, contract] of Object.entries(contracts)) {
      addOperation(namespacePath(name), 'send', event, contract);
    }
  }
  return {
    asyncapi: '3.0.0',
    info: {
      title: options.title ?? 'micro-socket service',
      version: options.version ?? '0.0.0',
      ...(options.description ? { description: options.description } : {}),
    },
    defaultContentType: 'application/json',
    channels,
    operations,
  };
}

/** Checks `asyncapi.path` before anything starts. */
export function checkAsyncApiPath(path: unknown): string {
  if (typeof path !== 'string' || !path.startsWith('/') || /[?#\s]/.test(path)) {
    throw new SocketError(
      'ERR_INVALID_OPTION',
      `asyncapi.path must be a request path starting with '/', such as '/asyncapi.json', got ${String(path)}`,
    );
  }
  return path;
}

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Answers `GET path` on an http server with the document, and hands every other request to the
 * `request` listeners it had (socket.io's among them), as engine.io does for its own path. The
 * server's owner restores the listeners on close.
 */
export function serveAsyncApi(
  http: {
    listeners(event: 'request'): Function[];
    removeAllListeners(event: 'request'): unknown;
    on(event: 'request', l: RequestListener): unknown;
  },
  path: string,
  document: AsyncApiDocument,
): void {
  const body = JSON.stringify(document);
  const others = http.listeners('request').slice() as RequestListener[];
  http.removeAllListeners('request');
  http.on('request', function (this: unknown, req, res) {
    const url = req.url ?? '';
    if ((req.method === 'GET' || req.method === 'HEAD') && (url === path || url.startsWith(`${path}?`))) {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-cache' });
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    for (const listener of others) listener.call(this, req, res);
  });
}
