import { silentLogger } from '@mangaassist/commons';
import { describe, expect, it } from 'vitest';
import { type DeadLetter, LocalDeadLetterQueue } from './dead-letter-queue.js';

function deadLetter(overrides: Partial<DeadLetter> = {}): DeadLetter {
  return {
    rule: 'payments-and-reviews',
    target: 'fm-trigger',
    event: {
      version: '0',
      id: 'e-1',
      'detail-type': 'ReviewSubmitted',
      source: 'mangaassist.reviews',
      account: '000000000000',
      time: '2026-01-31T09:00:00Z',
      region: 'ap-northeast-1',
      resources: [],
      detail: {},
    },
    error: 'model down',
    attempts: 4,
    ...overrides,
  };
}

describe('LocalDeadLetterQueue', () => {
  it('lists messages newest first, by rule and target when asked', () => {
    const queue = new LocalDeadLetterQueue();
    queue.send(deadLetter({ error: 'first' }));
    queue.send(deadLetter({ rule: 'catalog-updates', target: 'embedding-regeneration', error: 'second' }));

    expect(queue.list().messages.map((message) => message.error)).toEqual(['second', 'first']);
    expect(queue.list({ target: 'fm-trigger' }).messages.map((message) => message.error)).toEqual(['first']);
    expect(queue.list({ rule: 'catalog-updates' }).messages).toHaveLength(1);
  });

  it('forgets the oldest messages beyond its capacity, and all of them when cleared', () => {
    const queue = new LocalDeadLetterQueue(2);
    for (const error of ['a', 'b', 'c']) queue.send(deadLetter({ error }));
    expect(queue.list().messages.map((message) => message.error)).toEqual(['c', 'b']);
    queue.clear();
    expect(queue.list()).toEqual({ messages: [], dropped: 0 });
  });

  it('counts the messages it forgets beyond its capacity, by rule and target', () => {
    const queue = new LocalDeadLetterQueue(2);
    queue.send(deadLetter({ error: 'a' }));
    queue.send(deadLetter({ rule: 'catalog-updates', target: 'embedding-regeneration', error: 'b' }));
    queue.send(deadLetter({ error: 'c' }));
    queue.send(deadLetter({ error: 'd' }));

    expect(queue.list()).toMatchObject({ dropped: 2 });
    expect(queue.list({ target: 'fm-trigger' })).toMatchObject({ dropped: 1 });
    expect(queue.list({ rule: 'catalog-updates' })).toMatchObject({ messages: [], dropped: 1 });
  });

  it('logs forgotten messages at most once per interval, with how many each line stands for', () => {
    const warnings: Record<string, unknown>[] = [];
    const logger = {
      ...silentLogger,
      warn: (_message: string, fields: Record<string, unknown> = {}) => void warnings.push(fields),
    };
    let now = 0;
    const queue = new LocalDeadLetterQueue(1, { logger, now: () => now, warnIntervalMs: 10_000 });
    for (const error of ['a', 'b', 'c', 'd']) queue.send(deadLetter({ error }));
    now = 10_000;
    queue.send(deadLetter({ error: 'e' }));

    expect(warnings).toEqual([
      expect.objectContaining({
        rule: 'payments-and-reviews',
        target: 'fm-trigger',
        occurrences: 1,
        dropped: 1,
      }),
      expect.objectContaining({ occurrences: 3, dropped: 4 }),
    ]);
  });

  it('refuses a capacity that is not a positive integer', () => {
    expect(() => new LocalDeadLetterQueue(0)).toThrow(RangeError);
  });
});
