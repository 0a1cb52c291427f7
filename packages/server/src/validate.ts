import type { HandlerRef, StandardSchemaV1 } from '@pestras/micro-socket-core';
import type { Socket } from 'socket.io';
import { INTERNAL_ERROR } from './errors';
import {
  type BindContext,
  callEventHandler,
  EventReply,
  handlerName,
  invokeHook,
  reportFailure,
  SHUTTING_DOWN,
} from './invoke';

/**
 * The most issues an `ERR_VALIDATION` answer carries: a hostile client sending a 1 MB array to
 * an array schema must not make the server answer with a larger list.
 *
 * @example
 * ```ts
 * socket.emit('tags', hugeArray, (res) => res.error.issues.length <= MAX_VALIDATION_ISSUES);
 * ```
 */
export const MAX_VALIDATION_ISSUES = 10;

/**
 * One reason a client's arguments were refused: `path[0]` is the argument's index, the rest the
 * schema's own path inside it.
 *
 * @example
 * ```ts
 * const issue: ValidationIssue = { path: [0, 'title'], message: 'Invalid input: expected string' };
 * ```
 */
export interface ValidationIssue {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/**
 * The acknowledgement a client receives when its arguments fail the event's contract.
 *
 * @example
 * ```ts
 * socket.emit('rate', 'post-1', 9, (res: ValidationAckError) => res.error.issues[0].path); // [1]
 * ```
 */
export interface ValidationAckError {
  readonly error: {
    readonly code: 'ERR_VALIDATION';
    /** The first failure, in one line. */
    readonly message: string;
    readonly issues: readonly ValidationIssue[];
  };
}

type Result = StandardSchemaV1.Result<unknown>;

/** Whether an event needs the validating listener: one of its handlers declares a contract. */
export function hasContract(refs: readonly HandlerRef[]): boolean {
  return refs.some((ref) => ref.options?.args !== undefined || ref.options?.ack !== undefined);
}

function pathKey(segment: PropertyKey | StandardSchemaV1.PathSegment): string | number {
  const key = typeof segment === 'object' && segment !== null ? segment.key : segment;
  return typeof key === 'number' ? key : String(key);
}

function collectIssues(
  into: ValidationIssue[] | undefined,
  index: number,
  issues: readonly StandardSchemaV1.Issue[],
): ValidationIssue[] {
  const list = into ?? [];
  for (const issue of issues) {
    if (list.length >= MAX_VALIDATION_ISSUES) break;
    // A plain loop: a library's path may be an Array subclass whose `map` builds another (arktype).
    const path: (string | number)[] = [index];
    for (const segment of issue.path ?? []) path.push(pathKey(segment));
    list.push({ path, message: String(issue.message) });
  }
  return list;
}

function oneLine(issue: ValidationIssue): string {
  const [index, ...inner] = issue.path;
  const where = inner.length ? ` (${inner.join('.')})` : '';
  return `argument ${index}${where}: ${issue.message}`.replace(/\s+/g, ' ');
}

function refuse(
  ctx: BindContext,
  label: string,
  socket: Socket,
  reply: EventReply | undefined,
  issues: ValidationIssue[],
): void {
  const message = oneLine(issues[0] as ValidationIssue);
  // debug, not warn: a hostile client must not be able to flood the error log.
  ctx.logger.debug(`micro-socket: ${label} from ${socket.id} refused: ${message}`);
  reply?.send({ error: { code: 'ERR_VALIDATION', message, issues } } satisfies ValidationAckError);
}

/** The ack a handler receives when its answer must pass the `ack` schema first. */
function checkedAck(
  ctx: BindContext,
  label: string,
  ref: HandlerRef,
  schema: StandardSchemaV1,
  reply: EventReply,
): (value: unknown) => void {
  const settle = (result: Result) => {
    if (result.issues) {
      // The handler broke its own contract: a server bug, so an error, and no detail for the client.
      ctx.logger.error(
        `micro-socket: ${label} ${handlerName(ref)} answered a value its ack schema refuses`,
        result.issues,
      );
      reply.deliver([INTERNAL_ERROR]);
    } else reply.deliver([result.value]);
  };
  const broken = (err: unknown) => {
    reportFailure(ctx, label, ref, err);
    reply.deliver([INTERNAL_ERROR]);
  };
  return (value: unknown) => {
    if (!reply.claim()) return;
    let result: Result | Promise<Result>;
    try {
      result = schema['~standard'].validate(value);
    } catch (err) {
      broken(err);
      return;
    }
    if (result instanceof Promise) {
      const inFlight = ctx.inFlight;
      inFlight.enter();
      result.then(
        (r) => {
          inFlight.leave();
          settle(r);
        },
        (err) => {
          inFlight.leave();
          broken(err);
        },
      );
    } else settle(result);
  };
}

function call(
  ctx: BindContext,
  label: string,
  ref: HandlerRef,
  args: unknown[],
  reply: EventReply | undefined,
  ack: ((value: unknown) => void) | undefined,
): void {
  if (reply && ack) callEventHandler(ctx, label, ref, args, reply, ack);
  else invokeHook(ctx, label, ref, args);
}

async function settleArguments(
  ctx: BindContext,
  label: string,
  ref: HandlerRef,
  socket: Socket,
  args: unknown[],
  pending: Array<Promise<Result> | undefined>,
  issues: ValidationIssue[] | undefined,
  reply: EventReply | undefined,
  ack: ((value: unknown) => void) | undefined,
): Promise<void> {
  const inFlight = ctx.inFlight;
  inFlight.enter();
  let failed = issues;
  try {
    for (let i = 0; i < pending.length; i++) {
      const promise = pending[i];
      if (!promise) continue;
      const result = await promise;
      if (result.issues) failed = collectIssues(failed, i, result.issues);
      else args[i + 2] = result.value;
    }
  } catch (err) {
    reportFailure(ctx, label, ref, err);
    reply?.send(INTERNAL_ERROR);
    return;
  } finally {
    inFlight.leave();
  }
  if (failed) refuse(ctx, label, socket, reply, failed);
  else call(ctx, label, ref, args, reply, ack);
}

/**
 * Validates the client's arguments against one handler's contract, then calls it with
 * `(target, socket, ...outputs, ack or undefined)`. When every schema answers synchronously,
 * nothing is awaited and nothing is allocated besides the handler's argument list.
 */
function validateAndCall(
  ctx: BindContext,
  label: string,
  ref: HandlerRef,
  target: unknown,
  socket: Socket,
  clientArgs: unknown[],
  count: number,
  reply: EventReply | undefined,
): void {
  const schemas = ref.options?.args;
  const ackSchema = ref.options?.ack;
  const ack = reply && (ackSchema ? checkedAck(ctx, label, ref, ackSchema, reply) : reply.send);
  if (!schemas) {
    // No `args`: the arguments as the client sent them, its ack (checked) last, as without a contract.
    const args = [target, socket, ...clientArgs];
    if (reply) args[args.length - 1] = ack;
    call(ctx, label, ref, args, reply, ack);
    return;
  }
  const n = schemas.length;
  const args: unknown[] = new Array(n + 3);
  args[0] = target;
  args[1] = socket;
  args[n + 2] = ack;
  let issues: ValidationIssue[] | undefined;
  let pending: Array<Promise<Result> | undefined> | undefined;
  if (count > n) {
    issues = [{ path: [n], message: `expected ${n} argument${n === 1 ? '' : 's'}, got ${count}` }];
  }
  try {
    for (let i = 0; i < n; i++) {
      const result = (schemas[i] as StandardSchemaV1)['~standard'].validate(
        i < count ? clientArgs[i] : undefined,
      );
      if (result instanceof Promise) {
        pending ??= [];
        pending[i] = result;
      } else if (result.issues) issues = collectIssues(issues, i, result.issues);
      else args[i + 2] = result.value;
    }
  } catch (err) {
    // A schema that throws instead of reporting issues is a server bug.
    reportFailure(ctx, label, ref, err);
    reply?.send(INTERNAL_ERROR);
    return;
  }
  if (pending) void settleArguments(ctx, label, ref, socket, args, pending, issues, reply, ack);
  else if (issues) refuse(ctx, label, socket, reply, issues);
  else call(ctx, label, ref, args, reply, ack);
}

/**
 * Runs the EVENT handlers of an event of which at least one declares a contract. `clientArgs`
 * are the arguments socket.io passed, with the client's ack function last when it asked for one.
 */
export function invokeContractEvent(
  ctx: BindContext,
  label: string,
  refs: readonly HandlerRef[],
  target: unknown,
  socket: Socket,
  clientArgs: unknown[],
): void {
  const last = clientArgs[clientArgs.length - 1];
  const fn = typeof last === 'function' ? (last as (...values: unknown[]) => void) : undefined;
  if (ctx.inFlight.draining) {
    fn?.(SHUTTING_DOWN);
    return;
  }
  const reply = fn && new EventReply(ctx, label, fn);
  const count = fn ? clientArgs.length - 1 : clientArgs.length;
  for (const ref of refs) validateAndCall(ctx, label, ref, target, socket, clientArgs, count, reply);
}
