import { manualClock } from '@mangaassist/commons/testing';
import { describe, expect, it } from 'vitest';
import type { StopReason } from '../runtime/model-runtime.js';
import { cachedAnswer, cacheEpoch } from '../testing/cache-fixtures.js';
import { MemoryResponseCache } from './memory-response-cache.js';

const start = cacheEpoch;

describe('MemoryResponseCache', () => {
  it('returns a stored answer as fresh', async () => {
    const cache = new MemoryResponseCache({ now: manualClock().now });
    await cache.set('k', cachedAnswer());
    expect(await cache.get('k')).toEqual({ answer: cachedAnswer(), fresh: true });
  });

  it('misses a key that was never stored', async () => {
    const cache = new MemoryResponseCache({ now: manualClock().now });
    expect(await cache.get('missing')).toBeUndefined();
  });

  it('serves an answer as stale once it is older than the TTL', async () => {
    const clock = manualClock();
    const cache = new MemoryResponseCache({ ttlSeconds: 60, staleTtlSeconds: 600, now: clock.now });
    await cache.set('k', cachedAnswer());
    clock.advanceSeconds(59);
    expect((await cache.get('k'))?.fresh).toBe(true);
    clock.advanceSeconds(1);
    expect(await cache.get('k')).toEqual({ answer: cachedAnswer(), fresh: false });
  });

  it('forgets an answer after the TTL plus the stale TTL', async () => {
    const clock = manualClock();
    const cache = new MemoryResponseCache({ ttlSeconds: 60, staleTtlSeconds: 600, now: clock.now });
    await cache.set('k', cachedAnswer());
    clock.advanceSeconds(659);
    expect(await cache.get('k')).toBeDefined();
    clock.advanceSeconds(1);
    expect(await cache.get('k')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('uses 300 s fresh and one day stale by default', async () => {
    const clock = manualClock();
    const cache = new MemoryResponseCache({ now: clock.now });
    await cache.set('k', cachedAnswer());
    clock.advanceSeconds(300);
    expect((await cache.get('k'))?.fresh).toBe(false);
    clock.advanceSeconds(86_400);
    expect(await cache.get('k')).toBeUndefined();
  });

  it('counts freshness from the answer storedAt', async () => {
    const clock = manualClock();
    const cache = new MemoryResponseCache({ ttlSeconds: 60, now: clock.now });
    await cache.set('k', cachedAnswer({ storedAt: start - 61_000 }));
    expect((await cache.get('k'))?.fresh).toBe(false);
  });

  it('does not store an answer that did not end with end_turn', async () => {
    const cache = new MemoryResponseCache({ now: manualClock().now });
    const reasons: StopReason[] = [
      'max_tokens',
      'stop_sequence',
      'tool_use',
      'guardrail_intervened',
      'content_filtered',
    ];
    for (const stopReason of reasons) {
      await cache.set(stopReason, cachedAnswer({ stopReason }));
      expect(await cache.get(stopReason)).toBeUndefined();
    }
  });

  it('replaces the answer stored under the same key', async () => {
    const cache = new MemoryResponseCache({ now: manualClock().now });
    await cache.set('k', cachedAnswer({ text: '古い' }));
    await cache.set('k', cachedAnswer({ text: '新しい' }));
    expect((await cache.get('k'))?.answer.text).toBe('新しい');
    expect(cache.size).toBe(1);
  });

  it('evicts the least recently used entry beyond maxEntries', async () => {
    const cache = new MemoryResponseCache({ maxEntries: 2, now: manualClock().now });
    await cache.set('a', cachedAnswer({ text: 'a' }));
    await cache.set('b', cachedAnswer({ text: 'b' }));
    await cache.get('a');
    await cache.set('c', cachedAnswer({ text: 'c' }));
    expect(await cache.get('b')).toBeUndefined();
    expect((await cache.get('a'))?.answer.text).toBe('a');
    expect((await cache.get('c'))?.answer.text).toBe('c');
    expect(cache.size).toBe(2);
  });

  it('rejects options that make no sense when constructed', () => {
    expect(() => new MemoryResponseCache({ ttlSeconds: 0 })).toThrow(RangeError);
    expect(() => new MemoryResponseCache({ staleTtlSeconds: -1 })).toThrow(RangeError);
    expect(() => new MemoryResponseCache({ maxEntries: 0 })).toThrow(RangeError);
  });
});
