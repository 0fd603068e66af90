import { manualClock } from '@mangaassist/commons/testing';
import { webhookLimits } from '@mangaassist/contracts';
import { describe, expect, it } from 'vitest';
import { MemoryIdempotencyStore } from './memory-idempotency-store.js';
import {
  claimedToken,
  deliverySummary,
  describeIdempotencyStore,
} from './testing/idempotency-store-behaviour.js';

describeIdempotencyStore('MemoryIdempotencyStore', (options) => new MemoryIdempotencyStore(options));

describe('MemoryIdempotencyStore', () => {
  it('remembers a completed delivery for seven days by default', async () => {
    const clock = manualClock(Date.UTC(2026, 0, 1));
    const store = new MemoryIdempotencyStore({ now: clock.now });
    const token = claimedToken(await store.claim('stripe:evt_1', { inProgressSeconds: 60 }));
    await store.complete('stripe:evt_1', token, deliverySummary());
    clock.advanceSeconds(webhookLimits.idempotencyTtlSeconds - 1);
    expect((await store.claim('stripe:evt_1', { inProgressSeconds: 60 })).status).toBe('completed');
    clock.advanceSeconds(1);
    expect((await store.claim('stripe:evt_1', { inProgressSeconds: 60 })).status).toBe('claimed');
  });

  it('answers a copy of the summary, so a caller mutating it changes nothing stored', async () => {
    const store = new MemoryIdempotencyStore();
    const token = claimedToken(await store.claim('reviews:r-1', { inProgressSeconds: 60 }));
    await store.complete('reviews:r-1', token, deliverySummary());
    const first = await store.claim('reviews:r-1', { inProgressSeconds: 60 });
    if (first.status === 'completed') Reflect.set(first.summary, 'events', 99);
    expect(await store.claim('reviews:r-1', { inProgressSeconds: 60 })).toStrictEqual({
      status: 'completed',
      summary: deliverySummary(),
    });
  });

  it('rejects a ttl that is not a positive integer number of seconds', () => {
    expect(() => new MemoryIdempotencyStore({ ttlSeconds: 0 })).toThrow(RangeError);
  });
});
