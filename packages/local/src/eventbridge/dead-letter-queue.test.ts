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
    expect(queue.list()).toEqual({ messages: [] });
  });

  it('refuses a capacity that is not a positive integer', () => {
    expect(() => new LocalDeadLetterQueue(0)).toThrow(RangeError);
  });
});
