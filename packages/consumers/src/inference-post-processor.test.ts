import { recordingLogger } from '@mangaassist/commons/testing';
import { consumerEmissions } from '@mangaassist/contracts';
import { MemoryIdempotencyStore } from '@mangaassist/idempotency';
import { describe, expect, it } from 'vitest';
import { MemoryAnalyticsStore } from './analytics-store.js';
import { consumerFactory } from './consumer-registry.js';
import {
  attentionReasons,
  type InferencePostProcessorOptions,
  makeInferencePostProcessor,
  resolveAttentionThresholds,
} from './inference-post-processor.js';
import {
  inferenceCompletedDetail,
  inferenceCompletedEnvelope,
  recordingMetrics,
} from './testing/inference-event-fixtures.js';

const now = Date.UTC(2026, 1, 1, 9);

function setup(overrides: Partial<InferencePostProcessorOptions> = {}) {
  const analytics = new MemoryAnalyticsStore();
  const { metrics, sets } = recordingMetrics();
  const logger = recordingLogger();
  const consume = makeInferencePostProcessor({
    dedupe: new MemoryIdempotencyStore({ now: () => now }),
    analytics,
    metrics,
    logger,
    now: () => now,
    ...overrides,
  });
  return { consume, analytics, sets, logger };
}

describe('attentionReasons', () => {
  it('finds nothing wrong with a fast, cheap, successful answer', () => {
    expect(attentionReasons(inferenceCompletedDetail())).toEqual([]);
  });

  it.each(['degraded', 'error', 'timeout'] as const)('flags the %s status', (status) => {
    expect(attentionReasons(inferenceCompletedDetail({ status }))).toEqual([status]);
  });

  it('flags a cost strictly above the threshold, compared exactly', () => {
    const thresholds = resolveAttentionThresholds({ costThresholdUsd: '0.05' });

    expect(
      attentionReasons(inferenceCompletedDetail({}, { estimated_cost_usd: '0.05' }), thresholds),
    ).toEqual([]);
    expect(
      attentionReasons(inferenceCompletedDetail({}, { estimated_cost_usd: '0.05000001' }), thresholds),
    ).toEqual(['cost-above-threshold']);
  });

  it('flags a complete answer slower than the 3 s SLA', () => {
    expect(attentionReasons(inferenceCompletedDetail({}, { latency_ms: 3_000 }))).toEqual([]);
    expect(attentionReasons(inferenceCompletedDetail({}, { latency_ms: 3_001 }))).toEqual([
      'latency-above-sla',
    ]);
  });

  it('judges a stream by its first token, not by how long the whole answer took', () => {
    expect(attentionReasons(inferenceCompletedDetail({}, { latency_ms: 9_000, ttft_ms: 800 }))).toEqual([]);
    expect(attentionReasons(inferenceCompletedDetail({}, { latency_ms: 9_000, ttft_ms: 3_500 }))).toEqual([
      'latency-above-sla',
    ]);
  });

  it('lists every reason, status first', () => {
    const detail = inferenceCompletedDetail(
      { status: 'timeout' },
      { latency_ms: 29_000, estimated_cost_usd: '0.2' },
    );

    expect(attentionReasons(detail)).toEqual(['timeout', 'cost-above-threshold', 'latency-above-sla']);
  });

  it('rejects thresholds it cannot compare', () => {
    expect(() => resolveAttentionThresholds({ costThresholdUsd: '$1' })).toThrow(RangeError);
    expect(() => resolveAttentionThresholds({ latencySlaMs: 0 })).toThrow(RangeError);
  });
});

describe('inference post-processor', () => {
  it('acknowledges an inference that needs nothing, recording nothing', async () => {
    const { consume, analytics, sets } = setup();

    const result = await consume(inferenceCompletedEnvelope());

    expect(result).toMatchObject({ status: 'skipped', reason: 'no-attention-needed' });
    expect(await analytics.attention('2026-01-31')).toBeUndefined();
    expect(sets).toEqual([]);
  });

  it('records a flagged inference in its day’s attention list, logs it and counts NeedsAttention', async () => {
    const { consume, analytics, sets, logger } = setup();
    const detail = inferenceCompletedDetail({ status: 'degraded', model: 'none' }, { latency_ms: 3_400 });
    const event = inferenceCompletedEnvelope(detail, { time: '2026-01-31T22:10:00Z' });

    const result = await consume(event);

    expect(result.status).toBe('processed');
    expect(await analytics.attention('2026-01-31')).toEqual({
      day: '2026-01-31',
      entries: [
        {
          requestId: detail.request_id,
          tenantId: 'tenant-a',
          model: 'none',
          status: 'degraded',
          reasons: ['degraded', 'latency-above-sla'],
          latencyMs: 3_400,
          costUsd: '0.000412',
          eventId: event.id,
          at: '2026-01-31T22:10:00.000Z',
        },
      ],
      total: 1,
      dropped: 0,
    });
    expect(sets).toEqual([
      {
        namespace: 'MangaAssist/Inference',
        dimensions: { model: 'none' },
        metrics: [{ name: 'NeedsAttention', unit: 'Count', value: 1 }],
        properties: {
          request_id: detail.request_id,
          reasons: ['degraded', 'latency-above-sla'],
          event_id: event.id,
        },
      },
    ]);
    expect(logger.entries).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        message: 'inference needs attention',
        fields: expect.objectContaining({
          requestId: detail.request_id,
          reasons: ['degraded', 'latency-above-sla'],
        }),
      }),
    );
  });

  it('applies configured thresholds', async () => {
    const { consume, analytics } = setup({ costThresholdUsd: '0.0001', latencySlaMs: 10_000 });

    await consume(inferenceCompletedEnvelope(inferenceCompletedDetail({}, { latency_ms: 5_000 })));

    expect((await analytics.attention('2026-01-31'))?.entries.map((entry) => entry.reasons)).toEqual([
      ['cost-above-threshold'],
    ]);
  });

  it('keeps one entry per request however often the event comes back', async () => {
    const { consume, analytics } = setup();
    const event = inferenceCompletedEnvelope(inferenceCompletedDetail({ status: 'error' }));

    await consume(event);
    const again = await consume(event);
    await consume({ ...event, id: 'evt-same-request-other-id' });

    expect(again.status).toBe('duplicate');
    expect((await analytics.attention('2026-01-31'))?.total).toBe(1);
  });

  it('throws when the store fails, so EventBridge retries', async () => {
    const analytics = new MemoryAnalyticsStore();
    analytics.recordAttention = async () => {
      throw new Error('InternalServerError');
    };
    const { consume } = setup({ analytics });

    await expect(
      consume(inferenceCompletedEnvelope(inferenceCompletedDetail({ status: 'error' }))),
    ).rejects.toThrow('InternalServerError');
  });

  it('refuses invalid thresholds when it is built, not on the first event', () => {
    expect(() => setup({ costThresholdUsd: 'lots' })).toThrow(RangeError);
  });

  it('may emit nothing: its output would come back through the fan-out', () => {
    expect(consumerEmissions['inference-post-processor']).toEqual([]);
  });
});

describe('inference-post-processor in the consumer registry', () => {
  it('is built from dedupe, analytics and metrics, with the configured thresholds', async () => {
    const analytics = new MemoryAnalyticsStore();
    const consume = consumerFactory('inference-post-processor')({
      dedupe: new MemoryIdempotencyStore(),
      analytics,
      metrics: recordingMetrics().metrics,
      attentionThresholds: { latencySlaMs: 500 },
    });

    await consume(inferenceCompletedEnvelope());

    expect((await analytics.attention('2026-01-31'))?.entries[0]?.reasons).toEqual(['latency-above-sla']);
  });
});
