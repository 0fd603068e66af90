import { recordingLogger } from '@mangaassist/commons/testing';
import { describe, expect, it } from 'vitest';
import type { IdempotencyStore } from './idempotency-store.js';
import { MemoryIdempotencyStore } from './memory-idempotency-store.js';
import { IdempotencyUnavailableError, runOnce } from './run-once.js';

const options = { inProgressSeconds: 60 };

/** A work that counts its runs and answers `value`. */
function countedWork(value = 'published') {
  let runs = 0;
  return {
    runs: () => runs,
    work: async () => {
      runs += 1;
      return { value, summary: { status: 'processed', value } };
    },
  };
}

/** The memory store with some of its operations replaced. */
function storeWith(
  overrides: Partial<IdempotencyStore>,
  memory = new MemoryIdempotencyStore(),
): IdempotencyStore {
  return {
    claim: (key, claimOptions) => memory.claim(key, claimOptions),
    complete: (key, token, summary) => memory.complete(key, token, summary),
    release: (key, token) => memory.release(key, token),
    ...overrides,
  };
}

describe('runOnce', () => {
  it('runs the work once and answers later calls with its stored summary', async () => {
    const store = new MemoryIdempotencyStore();
    const { work, runs } = countedWork();

    const first = await runOnce(store, 'stripe:evt_1', work, options);
    const again = await runOnce(store, 'stripe:evt_1', work, options);

    expect(first).toEqual({ status: 'done', value: 'published' });
    expect(again).toEqual({ status: 'duplicate', summary: { status: 'processed', value: 'published' } });
    expect(runs()).toBe(1);
  });

  it('runs one of many concurrent attempts and tells the others it is in progress', async () => {
    const store = new MemoryIdempotencyStore();
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { work, runs } = countedWork();
    const slowWork = async () => {
      await gate;
      return work();
    };

    const attempts = Array.from({ length: 5 }, () => runOnce(store, 'key', slowWork, options));
    await new Promise((resolve) => setImmediate(resolve));
    release();
    const results = await Promise.all(attempts);

    expect(results.filter((result) => result.status === 'done')).toHaveLength(1);
    expect(results.filter((result) => result.status === 'in_progress')).toHaveLength(4);
    expect(runs()).toBe(1);
  });

  it('releases the claim when the work fails, so the retry runs it, and rethrows', async () => {
    const store = new MemoryIdempotencyStore();
    const failing = async (): Promise<never> => {
      throw new Error('bus unavailable');
    };

    await expect(runOnce(store, 'key', failing, options)).rejects.toThrow('bus unavailable');
    const { work, runs } = countedWork();
    await expect(runOnce(store, 'key', work, options)).resolves.toEqual({
      status: 'done',
      value: 'published',
    });
    expect(runs()).toBe(1);
  });

  it('throws IdempotencyUnavailableError, running nothing, when the claim cannot be taken', async () => {
    const store = storeWith({
      claim: () => Promise.reject(new Error('ProvisionedThroughputExceededException')),
    });
    const { work, runs } = countedWork();

    const run = runOnce(store, 'key', work, options);

    await expect(run).rejects.toBeInstanceOf(IdempotencyUnavailableError);
    await expect(run).rejects.toThrow('could not claim key: ProvisionedThroughputExceededException');
    expect(runs()).toBe(0);
  });

  it('answers done and logs when the outcome of done work cannot be stored', async () => {
    const logger = recordingLogger();
    const store = storeWith({ complete: () => Promise.reject(new Error('ConditionalCheckFailed')) });

    const result = await runOnce(store, 'key', countedWork().work, { ...options, logger, label: 'webhook' });

    expect(result).toEqual({ status: 'done', value: 'published' });
    expect(logger.entries).toContainEqual(
      expect.objectContaining({
        level: 'error',
        message: 'webhook completion not stored; a retry may process it again',
        fields: { key: 'key', error: 'ConditionalCheckFailed' },
      }),
    );
  });

  it('warns when the claim lapsed before the outcome was stored', async () => {
    const logger = recordingLogger();
    const store = storeWith({ complete: async () => 'claim_lost' });

    await runOnce(store, 'key', countedWork().work, { ...options, logger });

    expect(logger.entries).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        message: 'work claim lapsed before completion; a retry may process it again',
      }),
    );
  });

  it('stores only the status of a summary too large for the store', async () => {
    const store = new MemoryIdempotencyStore();
    const huge = async () => ({ value: 1, summary: { status: 'processed', detail: 'x'.repeat(64 * 1024) } });

    await runOnce(store, 'key', huge, options);

    await expect(runOnce(store, 'key', huge, options)).resolves.toEqual({
      status: 'duplicate',
      summary: { status: 'processed', summary: 'omitted: too large' },
    });
  });

  it('logs a claim it could not release, and still rethrows the work’s failure', async () => {
    const logger = recordingLogger();
    const store = storeWith({ release: () => Promise.reject(new Error('network down')) });
    const failing = async (): Promise<never> => {
      throw new Error('processor failed');
    };

    await expect(runOnce(store, 'key', failing, { ...options, logger })).rejects.toThrow('processor failed');
    expect(logger.entries).toContainEqual(
      expect.objectContaining({
        level: 'error',
        message: 'work claim not released; retries wait for it to lapse',
      }),
    );
  });
});
