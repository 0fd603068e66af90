import { describe, expect, it } from 'vitest';
import { describeSessionStore, sessionTurn } from '../testing/session-store-behaviour.js';
import { MemorySessionStore } from './memory-session-store.js';

describeSessionStore('MemorySessionStore', (options) => new MemorySessionStore(options));

describe('MemorySessionStore', () => {
  it("keeps its own copy of each turn, unaffected by later changes to the caller's object", async () => {
    const store = new MemorySessionStore();
    const turn = { ...sessionTurn('original') };
    await store.append('tenant-a', 'session-0001', [turn]);
    Object.assign(turn, { content: 'changed' });
    const [read] = await store.history('tenant-a', 'session-0001', 1);
    Object.assign(read ?? {}, { content: 'changed by the reader' });
    expect(await store.history('tenant-a', 'session-0001', 1)).toEqual([sessionTurn('original')]);
  });

  it('keeps turns one day by default', async () => {
    let now = Date.UTC(2026, 0, 1);
    const store = new MemorySessionStore({ now: () => now });
    await store.append('tenant-a', 'session-0001', [sessionTurn('hello')]);
    now += 86_399_999;
    expect(await store.history('tenant-a', 'session-0001', 1)).toHaveLength(1);
    now += 1;
    expect(await store.history('tenant-a', 'session-0001', 1)).toEqual([]);
  });

  it('rejects a time to live that is not a positive whole number of seconds', () => {
    expect(() => new MemorySessionStore({ ttlSeconds: 0 })).toThrow(RangeError);
    expect(() => new MemorySessionStore({ ttlSeconds: 1.5 })).toThrow(RangeError);
  });
});
