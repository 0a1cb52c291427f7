/**
 * A short, safe description of a value for an error message: strings quoted and cut at 40
 * characters, arrays element by element (at most 5), objects and functions by kind only — never
 * their contents, which may be large or secret.
 *
 * @example
 * ```ts
 * import { describeValue } from '@pestras/micro-socket-core/internal';
 *
 * describeValue(['default', 42]); // '["default", number 42]'
 * describeValue({ token: 's3cret' }); // 'an object'
 * ```
 */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value === 'string')
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  if (Array.isArray(value)) {
    const shown = value.slice(0, 5).map(describeValue);
    if (value.length > 5) shown.push(`... ${value.length - 5} more`);
    return `[${shown.join(', ')}]`;
  }
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}
