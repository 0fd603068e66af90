// The behaviour every IdempotencyStore must show, written once and run against each implementation
// (in memory beside it, DynamoDB in test/integration). For tests only: it imports vitest.
import { randomUUID } from 'node:crypto';
import { manualClock } from '@mangaassist/commons/testing';
import { beforeEach, describe, expect, it } from 'vitest';
import { idempotencyLimits } from '../idempotency-rules.js';
import type { ClaimResult, IdempotencyStore } from '../idempotency-store.js';

/** What a suite passes to the factory: the store must read the time from `now` and keep records `ttlSeconds`. */
export interface IdempotencyStoreFactoryOptions {
  /** Epoch milliseconds. */
  readonly now: () => number;
  readonly ttlSeconds: number;
}

/** Builds the store under test; called once per test. */
export type IdempotencyStoreFactory = (
  options: IdempotencyStoreFactoryOptions,
) => IdempotencyStore | Promise<IdempotencyStore>;

/** A delivery's result summary, as a receiver would store it. For tests. */
export function deliverySummary(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { status: 'processed', events: 1, detail: { detailType: 'PaymentCompleted' }, ...overrides };
}

/** The token of a claim that must have been won; fails the test otherwise. For tests. */
export function claimedToken(result: ClaimResult): string {
  if (result.status !== 'claimed') throw new Error(`Expected the claim to be won, got ${result.status}`);
  return result.token;
}

/**
 * Registers the IdempotencyStore behaviour suite for one implementation. Each test uses a fresh
 * key, so a store backed by a shared table needs no cleaning between tests.
 *
 * @example describeIdempotencyStore('MemoryIdempotencyStore', (options) => new MemoryIdempotencyStore(options));
 */
export function describeIdempotencyStore(name: string, makeStore: IdempotencyStoreFactory): void {
  describe(`${name} (IdempotencyStore behaviour)`, () => {
    const ttlSeconds = 3 * 24 * 3_600;
    const inProgressSeconds = 60;
    let clock: ReturnType<typeof manualClock>;
    let store: IdempotencyStore;
    let key: string;

    const claim = (claimKey = key) => store.claim(claimKey, { inProgressSeconds });

    beforeEach(async () => {
      clock = manualClock(Date.UTC(2026, 0, 1));
      store = await makeStore({ now: () => clock.now(), ttlSeconds });
      key = `stripe:evt_${randomUUID()}`;
    });

    it('lets the first claim of a key win, with a token', async () => {
      const result = await claim();
      expect(result).toStrictEqual({ status: 'claimed', token: expect.any(String) });
    });

    it('answers a duplicate of a completed delivery with its summary', async () => {
      const token = claimedToken(await claim());
      expect(await store.complete(key, token, deliverySummary())).toBe('completed');
      clock.advanceSeconds(3_600);
      expect(await claim()).toStrictEqual({ status: 'completed', summary: deliverySummary() });
    });

    it('answers in_progress to a duplicate that arrives while the first claim is held', async () => {
      await claim();
      clock.advanceSeconds(inProgressSeconds - 1);
      expect(await claim()).toStrictEqual({ status: 'in_progress' });
    });

    it('lets a new claim win once the in-progress time of a crashed attempt has run out', async () => {
      const first = claimedToken(await claim());
      clock.advanceSeconds(inProgressSeconds);
      const second = claimedToken(await claim());
      expect(second).not.toBe(first);
      expect(await claim()).toStrictEqual({ status: 'in_progress' });
    });

    it('lets the next claim win after a release', async () => {
      await store.release(key, claimedToken(await claim()));
      expect((await claim()).status).toBe('claimed');
    });

    it('remembers a completed delivery until ttlSeconds after its completion, then forgets it', async () => {
      const token = claimedToken(await claim());
      clock.advanceSeconds(30);
      await store.complete(key, token, deliverySummary());
      clock.advanceSeconds(ttlSeconds - 1);
      expect((await claim()).status).toBe('completed');
      clock.advanceSeconds(1);
      expect((await claim()).status).toBe('claimed');
    });

    it('does not let a stale claimant complete over the claim that replaced it', async () => {
      const stale = claimedToken(await claim());
      clock.advanceSeconds(inProgressSeconds);
      const current = claimedToken(await claim());
      expect(await store.complete(key, stale, deliverySummary({ by: 'stale' }))).toBe('claim_lost');
      expect(await claim()).toStrictEqual({ status: 'in_progress' });
      expect(await store.complete(key, current, deliverySummary({ by: 'current' }))).toBe('completed');
      expect(await claim()).toStrictEqual({
        status: 'completed',
        summary: deliverySummary({ by: 'current' }),
      });
    });

    it('does not let a stale claimant release the claim that replaced it', async () => {
      const stale = claimedToken(await claim());
      clock.advanceSeconds(inProgressSeconds);
      await claim();
      await store.release(key, stale);
      expect(await claim()).toStrictEqual({ status: 'in_progress' });
    });

    it('lets a claimant past its in-progress time complete when nobody claimed the key since', async () => {
      const token = claimedToken(await claim());
      clock.advanceSeconds(inProgressSeconds * 3);
      expect(await store.complete(key, token, deliverySummary())).toBe('completed');
      expect((await claim()).status).toBe('completed');
    });

    it('accepts the same completion twice, keeping the latest summary', async () => {
      const token = claimedToken(await claim());
      await store.complete(key, token, deliverySummary({ events: 1 }));
      expect(await store.complete(key, token, deliverySummary({ events: 2 }))).toBe('completed');
      expect(await claim()).toStrictEqual({ status: 'completed', summary: deliverySummary({ events: 2 }) });
    });

    it('keeps a completed delivery when its claimant releases it afterwards', async () => {
      const token = claimedToken(await claim());
      await store.complete(key, token, deliverySummary());
      await store.release(key, token);
      expect((await claim()).status).toBe('completed');
    });

    it('reports claim_lost for a token that never claimed the key, and releases nothing', async () => {
      expect(await store.complete(key, 'not-a-claim', deliverySummary())).toBe('claim_lost');
      await store.release(key, 'not-a-claim');
      expect((await claim()).status).toBe('claimed');
      expect(await claim()).toStrictEqual({ status: 'in_progress' });
    });

    it('keeps keys apart', async () => {
      const other = `${key}-other`;
      await store.complete(key, claimedToken(await claim()), deliverySummary());
      expect((await claim(other)).status).toBe('claimed');
      expect((await claim()).status).toBe('completed');
    });

    it('returns the summary in its JSON form, nested values included', async () => {
      const token = claimedToken(await claim());
      await store.complete(key, token, {
        status: 'processed',
        skipped: undefined,
        at: new Date(Date.UTC(2026, 0, 1)),
        events: [{ detailType: 'CatalogUpdate.Price', ids: ['b-1', 'b-2'] }],
        empty: {},
        note: '',
      });
      expect(await claim()).toStrictEqual({
        status: 'completed',
        summary: {
          status: 'processed',
          at: '2026-01-01T00:00:00.000Z',
          events: [{ detailType: 'CatalogUpdate.Price', ids: ['b-1', 'b-2'] }],
          empty: {},
          note: '',
        },
      });
    });

    it('exactly one of 50 concurrent claims wins; the others are told in_progress', async () => {
      const results = await Promise.all(Array.from({ length: 50 }, () => claim()));
      expect(results.filter((result) => result.status === 'claimed')).toHaveLength(1);
      expect(results.filter((result) => result.status === 'in_progress')).toHaveLength(49);
    });

    it('rejects an empty key, an over-long key and a non-positive in-progress time with RangeError', async () => {
      await expect(claim('')).rejects.toBeInstanceOf(RangeError);
      await expect(claim('k'.repeat(idempotencyLimits.maxKeyBytes + 1))).rejects.toBeInstanceOf(RangeError);
      await expect(store.claim(key, { inProgressSeconds: 0 })).rejects.toBeInstanceOf(RangeError);
      await expect(store.complete('', 'token', deliverySummary())).rejects.toBeInstanceOf(RangeError);
      await expect(store.release(key, '')).rejects.toBeInstanceOf(RangeError);
    });

    it('rejects a summary over the size limit with RangeError and keeps the claim in progress', async () => {
      const token = claimedToken(await claim());
      const huge = { text: 'あ'.repeat(idempotencyLimits.maxSummaryBytes) };
      await expect(store.complete(key, token, huge)).rejects.toBeInstanceOf(RangeError);
      expect(await claim()).toStrictEqual({ status: 'in_progress' });
    });
  });
}
