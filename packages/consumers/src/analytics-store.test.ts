import { describe, expect, it } from 'vitest';
import { analyticsExpiresAt, dailyStatsFromCounters, inferenceIncrements } from './analytics-items.js';
import { MemoryAnalyticsStore } from './analytics-store.js';
import { latencyBucket } from './latency-sketch.js';
import { describeAnalyticsStore, inferenceUsage } from './testing/analytics-store-behaviour.js';

describeAnalyticsStore('MemoryAnalyticsStore', (options) => new MemoryAnalyticsStore(options));

describe('analytics items', () => {
  it('adds one request, its status, its tokens, its cost and one latency bucket', () => {
    expect(
      inferenceIncrements(inferenceUsage({ status: 'timeout', cached: true, latencyMs: 3_200.4 })),
    ).toEqual({
      requests: 1,
      status_timeout: 1,
      cached_requests: 1,
      input_tokens: 120,
      output_tokens: 40,
      cache_read_input_tokens: 0,
      cache_write_input_tokens: 0,
      cost_nano_usd: 320_000,
      latency_ms_sum: 3_200,
      [`latency_b${latencyBucket(3_200.4)}`]: 1,
    });
  });

  it('expires a day 400 days after it began', () => {
    expect(analyticsExpiresAt('2026-01-01')).toBe(Date.UTC(2027, 1, 5) / 1_000);
  });

  it('ignores attributes that are not counters when reading a day back', () => {
    const stats = dailyStatsFromCounters('m', '2026-01-01', {
      pk: 'm#2026-01-01',
      model: 'm',
      requests: 2,
      latency_b10: 2,
      latency_b99999: 1,
      latency_bx: 3,
    });

    expect(stats.requests).toBe(2);
    expect(stats.latencyCounts).toEqual(new Map([[10, 2]]));
    expect(stats.inputTokens).toBe(0);
  });
});
