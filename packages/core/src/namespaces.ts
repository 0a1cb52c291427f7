import { DecoratorError } from './errors';
import { describeValue } from './internal/describe-value';

/**
 * The namespace name the decorators default to: the main socket.io server (`/`).
 *
 * @example
 * ```ts
 * namespacePath(DEFAULT_NAMESPACE); // '/'
 * ```
 */
export const DEFAULT_NAMESPACE = 'default';

/**
 * Turns a namespace name as written in a decorator into socket.io's path:
 * `'default'` and `'/'` are the main server `'/'`; `'blog'` and `'/blog'` are `'/blog'`.
 *
 * @example
 * ```ts
 * namespacePath('blog'); // '/blog'
 * namespacePath('default'); // '/'
 * ```
 */
export function namespacePath(name: string): string {
  if (name === DEFAULT_NAMESPACE || name === '/' || name === '') return '/';
  return name.startsWith('/') ? name : `/${name}`;
}

/** Validates a decorator's namespaces argument and returns the namespace paths, deduplicated. */
export function normalizeNamespaces(decorator: string, namespaces: unknown): readonly string[] {
  if (namespaces === undefined || namespaces === null) return ['/'];
  const list = typeof namespaces === 'string' ? [namespaces] : namespaces;
  if (
    !Array.isArray(list) ||
    list.length === 0 ||
    !list.every((ns) => typeof ns === 'string' && ns.length > 0)
  ) {
    throw new DecoratorError(
      'ERR_NAMESPACES_INVALID',
      `${decorator}: namespaces must be a namespace name or a non-empty array of names, such as 'blog' or ['default', 'blog'], got ${describeValue(namespaces)}`,
    );
  }
  return [...new Set(list.map(namespacePath))];
}
