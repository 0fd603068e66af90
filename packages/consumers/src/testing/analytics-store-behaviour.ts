// The behaviour every AnalyticsStore must show, run against the memory store here and against the
// DynamoDB store on the embedded DynamoDB in test/integration/analytics-store.test.ts.
import { describe, expect, it } from 'vitest';
import type { AnalyticsStore, AttentionEntry, InferenceUsage } from '../analytics-store.js';
import { latencyBucket } from '../latency-sketch.js';

let sequence = 0;

/** A fresh model key, so tests sharing a table never see each other's aggregates. */
export function freshModel(): string {
  sequence += 1;
  return `model-${Date.now().toString(36)}-${sequence}`;
}

const dayMs = 86_400_000;
const firstFreshDay = Date.UTC(2000, 0, 1) + Math.floor(Math.random() * 5_000) * dayMs;

/** A fresh UTC day, for the same reason (attention lists are per day only). */
export function freshDay(): string {
  sequence += 1;
  return new Date(firstFreshDay + sequence * dayMs).toISOString().slice(0, 10);
}

/** One successful inference of `model` on `day`; override what a test is about. */
export function inferenceUsage(overrides: Partial<InferenceUsage> = {}): InferenceUsage {
  return {
    model: 'claude-haiku-4-5',
    day: '2026-01-01',
    status: 'success',
    cached: false,
    inputTokens: 120,
    outputTokens: 40,
    cacheReadInputTokens: 0,
    cacheWriteInputTokens: 0,
    costNanoUsd: 320_000,
    latencyMs: 850,
    ...overrides,
  };
}

/** One inference that needs attention. */
export function attentionEntry(overrides: Partial<AttentionEntry> = {}): AttentionEntry {
  sequence += 1;
  return {
    requestId: `req-${sequence}`,
    tenantId: 'tenant-a',
    model: 'claude-haiku-4-5',
    status: 'success',
    reasons: ['latency-above-sla'],
    latencyMs: 4_200,
    costUsd: '0.00032',
    eventId: `evt-${sequence}`,
    at: '2026-01-01T12:00:00.000Z',
    ...overrides,
  };
}

export interface AnalyticsStoreFactoryOptions {
  readonly maxAttentionEntries?: number;
}

/** Registers the shared analytics-store suite under `name`. */
export function describeAnalyticsStore(
  name: string,
  makeStore: (options?: AnalyticsStoreFactoryOptions) => AnalyticsStore,
): void {
  describe(name, () => {
    it('counts one inference under its model and day', async () => {
      const store = makeStore();
      const model = freshModel();

      await store.recordInference(
        inferenceUsage({ model, cacheReadInputTokens: 7, cacheWriteInputTokens: 3 }),
      );

      const stats = await store.dailyStats(model, '2026-01-01');
      expect(stats).toMatchObject({
        model,
        day: '2026-01-01',
        requests: 1,
        byStatus: { success: 1, degraded: 0, error: 0, timeout: 0 },
        cachedRequests: 0,
        inputTokens: 120,
        outputTokens: 40,
        cacheReadInputTokens: 7,
        cacheWriteInputTokens: 3,
        costNanoUsd: 320_000,
        costUsd: '0.00032',
        latencyMsSum: 850,
      });
      expect(stats?.latencyCounts).toEqual(new Map([[latencyBucket(850), 1]]));
      expect(Math.abs((stats?.latencyMs?.p50 ?? 0) - 850)).toBeLessThanOrEqual(17.05);
    });

    it('sums inferences of one model and day, counting each status and cached answers', async () => {
      const store = makeStore();
      const model = freshModel();
      const statuses = ['success', 'success', 'degraded', 'error', 'timeout'] as const;

      for (const [index, status] of statuses.entries()) {
        await store.recordInference(
          inferenceUsage({ model, status, cached: index === 0, latencyMs: 100 * (index + 1) }),
        );
      }

      const stats = await store.dailyStats(model, '2026-01-01');
      expect(stats?.requests).toBe(5);
      expect(stats?.byStatus).toEqual({ success: 2, degraded: 1, error: 1, timeout: 1 });
      expect(stats?.cachedRequests).toBe(1);
      expect(stats?.inputTokens).toBe(600);
      expect(stats?.costNanoUsd).toBe(1_600_000);
      expect(stats?.latencyMsSum).toBe(1_500);
      expect([...(stats?.latencyCounts.values() ?? [])].reduce((sum, count) => sum + count, 0)).toBe(5);
    });

    it('keeps models and days apart', async () => {
      const store = makeStore();
      const model = freshModel();
      const other = freshModel();

      await store.recordInference(inferenceUsage({ model, day: '2026-01-01' }));
      await store.recordInference(inferenceUsage({ model, day: '2026-01-02' }));
      await store.recordInference(inferenceUsage({ model: other, day: '2026-01-01' }));

      expect((await store.dailyStats(model, '2026-01-01'))?.requests).toBe(1);
      expect((await store.dailyStats(model, '2026-01-02'))?.requests).toBe(1);
      expect((await store.dailyStats(other, '2026-01-01'))?.requests).toBe(1);
    });

    it('sums 50 concurrent inferences exactly', async () => {
      const store = makeStore();
      const model = freshModel();
      const usages = Array.from({ length: 50 }, (_, index) =>
        inferenceUsage({
          model,
          inputTokens: index + 1,
          costNanoUsd: 1_000 + index,
          latencyMs: 10 * (index + 1),
          cached: index % 5 === 0,
        }),
      );

      await Promise.all(usages.map((usage) => store.recordInference(usage)));

      const stats = await store.dailyStats(model, '2026-01-01');
      expect(stats?.requests).toBe(50);
      expect(stats?.inputTokens).toBe(1_275);
      expect(stats?.costNanoUsd).toBe(51_225);
      expect(stats?.cachedRequests).toBe(10);
      expect(stats?.latencyMsSum).toBe(12_750);
      expect([...(stats?.latencyCounts.values() ?? [])].reduce((sum, count) => sum + count, 0)).toBe(50);
    });

    it('answers undefined for a model and day with nothing recorded', async () => {
      const store = makeStore();

      expect(await store.dailyStats(freshModel(), '2026-01-01')).toBeUndefined();
      expect(await store.attention(freshDay())).toBeUndefined();
    });

    it('rejects a malformed day and negative or fractional counts', async () => {
      const store = makeStore();

      await expect(store.recordInference(inferenceUsage({ day: '2026-1-1' }))).rejects.toThrow(RangeError);
      await expect(store.recordInference(inferenceUsage({ inputTokens: -1 }))).rejects.toThrow(RangeError);
      await expect(store.recordInference(inferenceUsage({ costNanoUsd: 0.5 }))).rejects.toThrow(RangeError);
      await expect(store.recordInference(inferenceUsage({ latencyMs: Number.NaN }))).rejects.toThrow(
        RangeError,
      );
      await expect(store.dailyStats('m', 'yesterday')).rejects.toThrow(RangeError);
    });

    it('keeps attention entries of a day in order', async () => {
      const store = makeStore();
      const day = freshDay();
      const first = attentionEntry({ reasons: ['error'], status: 'error' });
      const second = attentionEntry({ reasons: ['cost-above-threshold', 'latency-above-sla'] });

      expect(await store.recordAttention(day, first)).toBe('recorded');
      expect(await store.recordAttention(day, second)).toBe('recorded');

      expect(await store.attention(day)).toEqual({ day, entries: [first, second], total: 2, dropped: 0 });
    });

    it('records an attention entry once however often its request comes back', async () => {
      const store = makeStore();
      const day = freshDay();
      const entry = attentionEntry();

      expect(await store.recordAttention(day, entry)).toBe('recorded');
      expect(await store.recordAttention(day, { ...entry, eventId: 'evt-redelivered' })).toBe('duplicate');

      expect(await store.attention(day)).toMatchObject({ entries: [entry], total: 1, dropped: 0 });
    });

    it('keeps at most maxAttentionEntries and only counts the rest', async () => {
      const store = makeStore({ maxAttentionEntries: 3 });
      const day = freshDay();
      const entries = Array.from({ length: 5 }, () => attentionEntry());

      const results = [];
      for (const entry of entries) results.push(await store.recordAttention(day, entry));

      expect(results).toEqual(['recorded', 'recorded', 'recorded', 'dropped', 'dropped']);
      expect(await store.attention(day)).toEqual({ day, entries: entries.slice(0, 3), total: 5, dropped: 2 });
    });

    it('never keeps more than maxAttentionEntries under concurrent writers', async () => {
      const store = makeStore({ maxAttentionEntries: 5 });
      const day = freshDay();

      const results = await Promise.all(
        Array.from({ length: 20 }, () => store.recordAttention(day, attentionEntry())),
      );

      const log = await store.attention(day);
      expect(results.filter((result) => result === 'recorded')).toHaveLength(5);
      expect(log?.entries).toHaveLength(5);
      expect(log?.total).toBe(20);
      expect(log?.dropped).toBe(15);
    });

    it('rejects an attention entry without reasons', async () => {
      const store = makeStore();

      await expect(store.recordAttention(freshDay(), attentionEntry({ reasons: [] }))).rejects.toThrow(
        RangeError,
      );
    });
  });
}
