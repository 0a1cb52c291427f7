import type { MicroPlugin } from '@pestras/micro';

/** The part of the `Micro` class this module patches. */
export interface MicroLike {
  plugins(...plugins: MicroPlugin[]): void;
  plugin?: (plugin: MicroPlugin) => void;
}

/**
 * Gives `Micro` the `Micro.plugin(plugin)` the seed README (and Micro's own README) use: the
 * published @pestras/micro 1.2.5 only has `Micro.plugins(...plugins)`. An existing `plugin` is
 * never replaced, and installing twice (ESM and CJS copies of this package) is harmless.
 *
 * @returns whether `plugin` was installed by this call.
 */
export function installMicroPlugin(micro: MicroLike): boolean {
  if (typeof micro.plugin === 'function') return false;
  Object.defineProperty(micro, 'plugin', {
    value: function plugin(this: unknown, ...plugins: MicroPlugin[]): void {
      micro.plugins(...plugins);
    },
    writable: true,
    configurable: true,
    enumerable: false,
  });
  return true;
}
