// The Lambda bundles' stand-in for mnemonist's LRU cache, held to mnemonist's own behaviour.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import LRUCache from '../../../lib/bundling/lru-cache.js';

type Cache = Pick<LRUCache<string, number>, 'get' | 'set' | 'has' | 'peek' | 'clear' | 'size'>;

/** mnemonist's own, loaded as the SDK's endpoint cache loads it (a CommonJS module). */
const MnemonistLRUCache = createRequire(import.meta.url)('mnemonist/lru-cache.js') as new (
  capacity: number,
) => Cache;

/** What each cache answers to the same calls: the endpoint cache's calls, and eviction. */
function script(cache: Cache): unknown[] {
  const seen: unknown[] = [];
  cache.set('a', 1);
  cache.set('b', 2);
  cache.set('c', 3);
  seen.push(cache.get('a'), cache.peek('b'), cache.has('z'), cache.get('z'), cache.size);
  cache.set('d', 4); // evicts b: a was read since, and peeking b did not refresh it
  seen.push(cache.has('b'), cache.has('a'), cache.has('c'), cache.has('d'), cache.size);
  cache.set('c', 30); // an update makes c the most recent
  cache.set('e', 5); // evicts a
  seen.push(cache.has('a'), cache.peek('c'), cache.get('e'), cache.size);
  cache.clear();
  seen.push(cache.size, cache.get('c'), cache.has('e'));
  return seen;
}

describe('the bundles’ LRU cache', () => {
  it('answers as mnemonist’s LRUCache does', () => {
    const expected = script(new MnemonistLRUCache(3));
    expect(expected).toEqual([
      1,
      2,
      false,
      undefined,
      3,
      false,
      true,
      true,
      true,
      3,
      false,
      30,
      5,
      3,
      0,
      undefined,
      false,
    ]);
    expect(script(new LRUCache<string, number>(3))).toEqual(expected);
  });

  it('refuses a capacity that is not a positive integer', () => {
    expect(() => new LRUCache(0)).toThrow('capacity must be a positive integer, not 0');
    expect(() => new LRUCache(1.5)).toThrow('capacity must be a positive integer');
  });
});
