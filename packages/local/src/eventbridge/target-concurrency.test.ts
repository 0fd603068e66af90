import { describe, expect, it } from 'vitest';
import { type ReleaseSlot, TargetConcurrency } from './target-concurrency.js';

/** Asks for a slot of `key`, recording `name` in `granted` once it has one. */
function ask(limiter: TargetConcurrency, key: string, name: string, granted: string[], signal?: AbortSignal) {
  return limiter.acquire(key, signal).then((release) => {
    granted.push(name);
    return release;
  });
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('TargetConcurrency', () => {
  it('grants at most the limit per target and the rest in the order they asked', async () => {
    const limiter = new TargetConcurrency(2);
    const granted: string[] = [];
    const releases = ['a', 'b', 'c', 'd'].map((name) => ask(limiter, 'fm-trigger', name, granted));
    await settle();

    expect(granted).toEqual(['a', 'b']);
    expect(limiter.load('fm-trigger')).toEqual({ running: 2, waiting: 2 });
    (await releases[1])?.();
    await settle();
    expect(granted).toEqual(['a', 'b', 'c']);
  });

  it('keeps each target’s limit apart', async () => {
    const limiter = new TargetConcurrency(1);
    const granted: string[] = [];
    void ask(limiter, 'fm-trigger', 'fm', granted);
    void ask(limiter, 'analytics', 'analytics', granted);
    await settle();

    expect(granted).toEqual(['fm', 'analytics']);
  });

  it('lets a waiter leave the queue when its signal aborts, and ignores a second release', async () => {
    const limiter = new TargetConcurrency(1);
    const granted: string[] = [];
    const first: ReleaseSlot = await ask(limiter, 'fm-trigger', 'first', granted);
    const leaving = new AbortController();
    const left = ask(limiter, 'fm-trigger', 'left', granted, leaving.signal);
    void ask(limiter, 'fm-trigger', 'next', granted);
    leaving.abort(new Error('bus closed'));

    await expect(left).rejects.toThrow('bus closed');
    first();
    first();
    await settle();
    expect(granted).toEqual(['first', 'next']);
    expect(limiter.load('fm-trigger')).toEqual({ running: 1, waiting: 0 });
  });

  it('refuses a limit that is not a positive integer', () => {
    expect(() => new TargetConcurrency(0)).toThrow(RangeError);
  });
});
