import { manualClock } from '@mangaassist/commons/testing';
import { webhookLimits } from '@mangaassist/contracts';
import {
  type IdempotencyStore,
  IdempotencyUnavailableError,
  MemoryIdempotencyStore,
} from '@mangaassist/idempotency';
import { describe, expect, it } from 'vitest';
import { IdempotencyCatalogFirstSeenStore } from './catalog-first-seen.js';

const start = Date.UTC(2026, 0, 31, 9, 0, 0, 123);

/** The store over a memory idempotency store, both on one manual clock. */
function firstSeenStore(overrides: Partial<IdempotencyStore> = {}) {
  const clock = manualClock(start);
  const memory = new MemoryIdempotencyStore({ now: clock.now });
  const idempotency: IdempotencyStore = {
    claim: (key, options) => memory.claim(key, options),
    complete: (key, token, summary) => memory.complete(key, token, summary),
    release: (key, token) => memory.release(key, token),
    ...overrides,
  };
  return { clock, store: new IdempotencyCatalogFirstSeenStore(idempotency, { now: clock.now }) };
}

describe('IdempotencyCatalogFirstSeenStore', () => {
  it('records when a batch is first seen and answers that time however much later it is asked again', async () => {
    const { clock, store } = firstSeenStore();
    expect(await store.firstSeen('batch-1')).toBe('2026-01-31T09:00:00.123Z');
    clock.advanceSeconds(3 * 24 * 3600);
    expect(await store.firstSeen('batch-1')).toBe('2026-01-31T09:00:00.123Z');
  });

  it('keeps batches apart', async () => {
    const { clock, store } = firstSeenStore();
    await store.firstSeen('batch-1');
    clock.advanceSeconds(60);
    expect(await store.firstSeen('batch-2')).toBe('2026-01-31T09:01:00.123Z');
  });

  it('answers a new time once the batch is forgotten, as the webhook forgets the delivery (7 days)', async () => {
    const { clock, store } = firstSeenStore();
    await store.firstSeen('batch-1');
    clock.advanceSeconds(webhookLimits.idempotencyTtlSeconds);
    expect(await store.firstSeen('batch-1')).toBe('2026-02-07T09:00:00.123Z');
  });

  it('throws IdempotencyUnavailableError when the time cannot be recorded or read, recording nothing', async () => {
    const claimFails = firstSeenStore({
      claim: () => Promise.reject(new Error('ProvisionedThroughputExceeded')),
    });
    await expect(claimFails.store.firstSeen('batch-1')).rejects.toBeInstanceOf(IdempotencyUnavailableError);

    let failures = 1;
    const completeFails = firstSeenStore({
      complete: () => (failures-- > 0 ? Promise.reject(new Error('timeout')) : Promise.resolve('completed')),
    });
    await expect(completeFails.store.firstSeen('batch-1')).rejects.toBeInstanceOf(
      IdempotencyUnavailableError,
    );
  });

  it('throws IdempotencyUnavailableError while another attempt is recording the time, recording no second one', async () => {
    const { store } = firstSeenStore({
      // The first attempt hangs between its claim and its completion.
      complete: () => new Promise(() => {}),
    });
    void store.firstSeen('batch-1');
    await new Promise((resolve) => setImmediate(resolve));

    const second = store.firstSeen('batch-1');
    await expect(second).rejects.toBeInstanceOf(IdempotencyUnavailableError);
    await expect(second).rejects.toThrow(/being recorded by another attempt/);
  });

  it('answers the time another attempt recorded when its own claim lapsed before it completed', async () => {
    const clock = manualClock(start);
    const memory = new MemoryIdempotencyStore({ now: clock.now });
    const store = new IdempotencyCatalogFirstSeenStore(
      {
        claim: (key, options) => memory.claim(key, options),
        // The claim lapses, another attempt records its time, then this completion arrives.
        complete: async (key, token, summary) => {
          clock.advanceSeconds(60);
          const other = await memory.claim(key, { inProgressSeconds: 10 });
          if (other.status === 'claimed') {
            await memory.complete(key, other.token, { first_seen_at: '2026-01-31T09:01:00.123Z' });
          }
          return memory.complete(key, token, summary);
        },
        release: (key, token) => memory.release(key, token),
      },
      { now: clock.now },
    );
    expect(await store.firstSeen('batch-1')).toBe('2026-01-31T09:01:00.123Z');
  });

  it('throws IdempotencyUnavailableError for a recorded time it cannot read, never inventing another', async () => {
    const { store } = firstSeenStore({
      claim: async () => ({ status: 'completed', summary: { first_seen_at: 'yesterday' } }),
    });
    await expect(store.firstSeen('batch-1')).rejects.toThrow(/unreadable/);
  });

  it('gives up with IdempotencyUnavailableError after three claims that each lapsed', async () => {
    let claims = 0;
    const { store } = firstSeenStore({
      claim: async () => {
        claims++;
        return { status: 'claimed', token: `token-${claims}` };
      },
      complete: async () => 'claim_lost',
    });
    await expect(store.firstSeen('batch-1')).rejects.toThrow(/kept lapsing/);
    expect(claims).toBe(3);
  });
});
