import { waitFor } from '@pestras/micro-socket-testing';
import { describe, expect, it } from 'vitest';
import { coordinateExit, type ExitCoordination, type ExitTarget, type ExitTask } from './exit';

function target(tasks: ExitTask[], overrides: Partial<ExitCoordination> = {}) {
  const exits: Array<[number | undefined, string | undefined]> = [];
  const ended: number[] = [];
  const errors: unknown[] = [];
  const micro: ExitTarget = {
    exit(code, signal) {
      exits.push([code, signal]);
    },
  };
  const restore = coordinateExit(micro, {
    tasks: () => tasks,
    canExit: () => true,
    onError: (err) => errors.push(err),
    endProcess: (code) => ended.push(code),
    ...overrides,
  });
  return { micro, exits, ended, errors, restore };
}

describe('coordinateExit (the one replacement of Micro.exit)', () => {
  it('closes every task first, then calls the replaced exit with the same arguments', async () => {
    const closed: string[] = [];
    const slow = (name: string, ms: number): ExitTask => ({
      close: () => new Promise<void>((resolve) => setTimeout(() => resolve(void closed.push(name)), ms)),
      timeout: 5_000,
    });
    const { micro, exits } = target([slow('a', 30), slow('b', 10), { close: () => closed.push('sync') }]);
    micro.exit(0, 'SIGTERM');
    expect(exits).toEqual([]);
    await waitFor('the exit', () => exits.length === 1);
    expect(closed.sort()).toEqual(['a', 'b', 'sync']);
    expect(exits).toEqual([[0, 'SIGTERM']]);
  });

  it('exits after a task timeout when close hangs, and reports a failing close', async () => {
    const hanging = target([{ close: () => new Promise(() => {}), timeout: 30 }]);
    hanging.micro.exit(3, 'SIGUSR2');
    await waitFor('the exit', () => hanging.exits.length === 1);
    expect(hanging.exits).toEqual([[3, 'SIGUSR2']]);

    const failing = target([
      {
        close: () => {
          throw new Error('cannot close');
        },
        timeout: 5_000,
      },
      { close: () => Promise.reject(new Error('cannot close either')) },
    ]);
    failing.micro.exit(1);
    await waitFor('the exit', () => failing.exits.length === 1);
    expect(failing.errors.map((e) => (e as Error).message)).toEqual(['cannot close', 'cannot close either']);
  });

  it('without a service ends the process with the code instead of calling the exit that would loop', async () => {
    const { micro, exits, ended } = target([{ close: () => undefined }], { canExit: () => false });
    micro.exit(4, 'SIGTERM');
    await waitFor('the end', () => ended.length === 1);
    expect(ended).toEqual([4]);
    expect(exits).toEqual([]);
  });

  it('ends the process when the replaced exit throws (Micro dereferences its service unguarded)', async () => {
    const ended: number[] = [];
    const errors: unknown[] = [];
    const micro: ExitTarget = {
      exit() {
        throw new TypeError("Cannot read properties of undefined (reading 'onExit')");
      },
    };
    coordinateExit(micro, {
      tasks: () => [],
      canExit: () => true,
      onError: (err) => errors.push(err),
      endProcess: (code) => ended.push(code),
    });
    micro.exit(undefined, 'SIGINT');
    await waitFor('the end', () => ended.length === 1);
    expect(ended).toEqual([1]);
    expect(errors).toHaveLength(1);
  });

  it('exits at once on a second call, and restore() puts the replaced exit back', async () => {
    const { micro, exits, restore } = target([{ close: () => new Promise(() => {}), timeout: 60_000 }]);
    const replacement = micro.exit;
    micro.exit(0, 'SIGTERM');
    micro.exit(0, 'SIGINT');
    expect(exits).toEqual([[0, 'SIGINT']]);
    restore();
    expect(micro.exit).not.toBe(replacement);
  });
});
