/** An EVENT handler receives the client's ack function last when the client asked for one. */
export function withoutAck(args: unknown[]): unknown[] {
  return typeof args[args.length - 1] === 'function' ? args.slice(0, -1) : args;
}
