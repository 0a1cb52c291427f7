import type { MicroPlugin } from '@pestras/micro';
import { describe, expect, it } from 'vitest';
import { installMicroPlugin, type MicroLike } from './plugin-alias';

describe('installMicroPlugin', () => {
  it('adds Micro.plugin as Micro.plugins of one plugin, once', () => {
    const registered: MicroPlugin[] = [];
    const micro: MicroLike = { plugins: (...plugins) => registered.push(...plugins) };
    expect(installMicroPlugin(micro)).toBe(true);
    expect(installMicroPlugin(micro)).toBe(false);
    const plugin = { healthy: true, ready: true, live: true, init() {} } as MicroPlugin;
    micro.plugin!(plugin);
    expect(registered).toEqual([plugin]);
  });

  it('never replaces an existing Micro.plugin', () => {
    const own = () => {};
    const micro: MicroLike = { plugins: () => {}, plugin: own };
    expect(installMicroPlugin(micro)).toBe(false);
    expect(micro.plugin).toBe(own);
  });
});
