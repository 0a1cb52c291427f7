import { waitFor } from '@pestras/micro-socket-testing';
import { describe, expect, it } from 'vitest';
import { deferExit, type ExitTarget } from './exit';

function target() {
  const exits: Array<[number | undefined, string | undefined]> = [];
  const micro: ExitTarget = {
    exit(code, signal) {
      exits.push([code, signal]);
    },
  };
  return { micro, exits };
}

describe('deferExit', () => {
  it('runs close first and then the replaced exit with the same arguments', async () => {
    const { micro, exits } = target();
    let closed = false;
    deferExit(
      micro,
      async () => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        closed = true;
      },
      5_000,
      () => {},
    );
    micro.exit(0, 'SIGTERM');
    expect(exits).toEqual([]);
    await waitFor('the exit', () => exits.length === 1);
    expect(closed).toBe(true);
    expect(exits).toEqual([[0, 'SIGTERM']]);
  });

  it('exits after the timeout when close hangs, and reports a failing close', async () => {
    const { micro, exits } = target();
    deferExit(
      micro,
      () => new Promise(() => {}),
      30,
      () => {},
    );
    micro.exit(3, 'SIGUSR2');
    await waitFor('the exit', () => exits.length === 1);
    expect(exits).toEqual([[3, 'SIGUSR2']]);

    const failing = target();
    const errors: unknown[] = [];
    deferExit(
      failing.micro,
      () => {
        throw new Error('cannot close');
      },
      5_000,
      (err) => errors.push(err),
    );
    failing.micro.exit(1);
    await waitFor('the exit', () => failing.exits.length === 1);
    expect((errors[0] as Error).message).toBe('cannot close');
  });

  it('exits at once on a second call, and restore() puts the replaced exit back', async () => {
    const { micro, exits } = target();
    const original = micro.exit;
    const restore = deferExit(
      micro,
      () => new Promise(() => {}),
      60_000,
      () => {},
    );
    micro.exit(0, 'SIGTERM');
    micro.exit(0, 'SIGINT');
    expect(exits).toEqual([[0, 'SIGINT']]);
    restore();
    expect(micro.exit).toBe(original);
  });
});
