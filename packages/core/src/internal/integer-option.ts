import { describeValue } from './describe-value';

/**
 * Whether an option value is an integer from `min` to `max` inclusive. Callers raise their own
 * package's error with {@link integerOptionMessage} when it is not.
 *
 * @example
 * ```ts
 * import { integerOptionMessage, isIntegerIn } from '@pestras/micro-socket-core/internal';
 *
 * if (!isIntegerIn(options.workers, 1, 256)) throw new Error(integerOptionMessage('workers', options.workers, 1, 256));
 * ```
 */
export function isIntegerIn(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

/**
 * The one wording of a bad integer option: `"<name> must be an integer from <min> to <max>, got <value>"`.
 *
 * @example
 * ```ts
 * import { integerOptionMessage } from '@pestras/micro-socket-core/internal';
 *
 * integerOptionMessage('port', -1, 0, 65535); // 'port must be an integer from 0 to 65535, got number -1'
 * ```
 */
export function integerOptionMessage(name: string, value: unknown, min: number, max: number): string {
  return `${name} must be an integer from ${min} to ${max}, got ${describeValue(value)}`;
}
