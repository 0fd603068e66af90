import { ConfigurationError, emfWriter } from '@mangaassist/commons';
import { recordingLogger } from '@mangaassist/commons/testing';
import { consumerEmissions } from '@mangaassist/contracts';
import { MemoryIdempotencyStore } from '@mangaassist/idempotency';
import { describe, expect, it } from 'vitest';
import {
  type AnalyticsConsumerOptions,
  inferenceMetricsNamespace,
  makeAnalyticsConsumer,
} from './analytics.js';
import { type AnalyticsStore, MemoryAnalyticsStore } from './analytics-store.js';
import { consumerFactory } from './consumer-registry.js';
import { latencyBucket } from './latency-sketch.js';
import {
  inferenceCompletedDetail,
  inferenceCompletedEnvelope,
  recordingMetrics,
} from './testing/inference-event-fixtures.js';

const now = Date.UTC(2026, 1, 1, 0, 5);

function setup(overrides: Partial<AnalyticsConsumerOptions> = {}) {
  const analytics = new MemoryAnalyticsStore();
  const { metrics, sets } = recordingMetrics();
  const logger = recordingLogger();
  const consume = makeAnalyticsConsumer({
    dedupe: new MemoryIdempotencyStore({ now: () => now }),
    analytics,
    metrics,
    logger,
    now: () => now,
    ...overrides,
  });
  return { consume, analytics, sets, logger };
}

describe('analytics consumer', () => {
  it('adds an inference to its model’s UTC day, taken from the event time rather than the processing time', async () => {
    const { consume, analytics } = setup();
    const detail = inferenceCompletedDetail({}, { cache_read_input_tokens: 30, latency_ms: 1_234 });

    const result = await consume(inferenceCompletedEnvelope(detail, { time: '2026-01-31T23:59:59Z' }));

    expect(result.status).toBe('processed');
    const stats = await analytics.dailyStats('claude-haiku-4-5', '2026-01-31');
    expect(stats).toMatchObject({
      requests: 1,
      byStatus: { success: 1, degraded: 0, error: 0, timeout: 0 },
      inputTokens: 120,
      outputTokens: 80,
      cacheReadInputTokens: 30,
      costNanoUsd: 412_000,
      costUsd: '0.000412',
    });
    expect(stats?.latencyCounts).toEqual(new Map([[latencyBucket(1_234), 1]]));
    expect(await analytics.dailyStats('claude-haiku-4-5', '2026-02-01')).toBeUndefined();
  });

  it('sums costs exactly and counts each status and cached answers', async () => {
    const { consume, analytics } = setup();
    const details = [
      inferenceCompletedDetail({}, { estimated_cost_usd: '0.1' }),
      inferenceCompletedDetail({}, { estimated_cost_usd: '0.2' }),
      inferenceCompletedDetail({ cached: true }, { estimated_cost_usd: '0' }),
      inferenceCompletedDetail({ status: 'timeout' }, { estimated_cost_usd: '0.00000025' }),
      inferenceCompletedDetail({ status: 'degraded', model: 'none' }, { estimated_cost_usd: '0' }),
    ];

    for (const detail of details) await consume(inferenceCompletedEnvelope(detail));

    const haiku = await analytics.dailyStats('claude-haiku-4-5', '2026-01-31');
    expect(haiku?.costUsd).toBe('0.30000025');
    expect(haiku?.byStatus).toEqual({ success: 3, degraded: 0, error: 0, timeout: 1 });
    expect(haiku?.cachedRequests).toBe(1);
    expect((await analytics.dailyStats('none', '2026-01-31'))?.byStatus.degraded).toBe(1);
  });

  it('writes one EMF line under MangaAssist/Inference with the model as dimension', async () => {
    const lines: string[] = [];
    const { consume } = setup({ metrics: emfWriter({ write: (line) => lines.push(line), now: () => now }) });
    const detail = inferenceCompletedDetail(
      { status: 'error' },
      { latency_ms: 2_500, estimated_cost_usd: '0.0125' },
    );

    await consume(inferenceCompletedEnvelope(detail));

    expect(lines).toHaveLength(1);
    const document = JSON.parse(lines[0] ?? '');
    expect(document._aws.CloudWatchMetrics).toEqual([
      expect.objectContaining({ Namespace: inferenceMetricsNamespace, Dimensions: [['model']] }),
    ]);
    expect(document._aws.CloudWatchMetrics[0].Metrics).toEqual(
      expect.arrayContaining([
        { Name: 'Requests', Unit: 'Count' },
        { Name: 'InputTokens', Unit: 'Count' },
        { Name: 'OutputTokens', Unit: 'Count' },
        { Name: 'CostUSD', Unit: 'None' },
        { Name: 'LatencyMs', Unit: 'Milliseconds' },
      ]),
    );
    expect(document).toMatchObject({
      model: 'claude-haiku-4-5',
      Requests: 1,
      InputTokens: 120,
      OutputTokens: 80,
      CostUSD: 0.0125,
      LatencyMs: 2_500,
      ErrorRequests: 1,
      TimeoutRequests: 0,
      request_id: detail.request_id,
    });
  });

  it('counts an answer from further down the ladder as a fallback, and records the time to first token of a stream', async () => {
    const { consume, sets } = setup();
    const cases = [
      [inferenceCompletedDetail({ routed_model: 'claude-sonnet-4-5' }, { ttft_ms: 420 }), 1, 420],
      [inferenceCompletedDetail({ routed_model: 'claude-haiku-4-5' }), 0, undefined],
      [
        inferenceCompletedDetail({ status: 'degraded', model: 'none', routed_model: 'claude-haiku-4-5' }),
        0,
        undefined,
      ],
      ...(['error', 'timeout'] as const).map(
        (status) =>
          [
            inferenceCompletedDetail({ status, model: 'none', routed_model: 'claude-haiku-4-5' }),
            0,
            undefined,
          ] as const,
      ),
      [inferenceCompletedDetail(), 0, undefined],
    ] as const;
    for (const [detail] of cases) await consume(inferenceCompletedEnvelope(detail));
    const values = sets.map((set) =>
      Object.fromEntries(set.metrics.map((metric) => [metric.name, metric.value])),
    );
    expect(values.map((metric) => metric.FallbackRequests)).toEqual(cases.map(([, fallback]) => fallback));
    expect(values.map((metric) => metric.TimeToFirstTokenMs)).toEqual(cases.map(([, , ttft]) => ttft));
  });

  it('counts a redelivered event once', async () => {
    const { consume, analytics, sets } = setup();
    const event = inferenceCompletedEnvelope();

    await consume(event);
    const again = await consume(event);

    expect(again.status).toBe('duplicate');
    expect((await analytics.dailyStats('claude-haiku-4-5', '2026-01-31'))?.requests).toBe(1);
    expect(sets).toHaveLength(1);
  });

  it('counts an inference its publisher sent twice once: same inference id, new event id', async () => {
    const { consume, analytics, sets } = setup();
    const detail = inferenceCompletedDetail();

    await consume(inferenceCompletedEnvelope(detail));
    const resent = await consume(inferenceCompletedEnvelope(detail));

    expect(resent.status).toBe('duplicate');
    expect((await analytics.dailyStats('claude-haiku-4-5', '2026-01-31'))?.requests).toBe(1);
    expect(sets).toHaveLength(1);
  });

  it('dedupes by event id an event without a usable inference id', async () => {
    const { consume, analytics } = setup();
    const { inference_id: _id, ...older } = inferenceCompletedDetail();
    const event = inferenceCompletedEnvelope(older);

    await consume(event);
    await consume(inferenceCompletedEnvelope(older));
    const again = await consume(event);
    const malformed = await consume(inferenceCompletedEnvelope({ ...older, inference_id: 'not-a-uuid' }));

    expect(again.status).toBe('duplicate');
    expect(malformed).toMatchObject({ status: 'rejected', reason: 'invalid-detail' });
    expect((await analytics.dailyStats('claude-haiku-4-5', '2026-01-31'))?.requests).toBe(2);
  });

  it('counts an event replayed from the archive once, when it was counted before', async () => {
    const { consume, analytics } = setup();
    const event = inferenceCompletedEnvelope();

    await consume(event);
    const replayed = await consume({ ...event, 'replay-name': 'recover-2026-01-31' });

    expect(replayed).toMatchObject({ status: 'duplicate', replay: 'recover-2026-01-31' });
    expect((await analytics.dailyStats('claude-haiku-4-5', '2026-01-31'))?.requests).toBe(1);
  });

  it('throws when the table fails, and counts the event once when EventBridge retries it', async () => {
    const analytics = new MemoryAnalyticsStore();
    let failures = 1;
    const flaky: AnalyticsStore = {
      recordInference: async (usage) => {
        if (failures-- > 0) throw new Error('ProvisionedThroughputExceededException');
        return analytics.recordInference(usage);
      },
      dailyStats: (model, day) => analytics.dailyStats(model, day),
      recordAttention: (day, entry) => analytics.recordAttention(day, entry),
      attention: (day) => analytics.attention(day),
    };
    const { consume, sets } = setup({ analytics: flaky });
    const event = inferenceCompletedEnvelope();

    await expect(consume(event)).rejects.toThrow('ProvisionedThroughputExceededException');
    expect(sets).toHaveLength(0);
    expect((await consume(event)).status).toBe('processed');

    expect((await analytics.dailyStats('claude-haiku-4-5', '2026-01-31'))?.requests).toBe(1);
  });

  it('logs a metrics failure without failing the event, so the table is not counted twice', async () => {
    const { metrics } = recordingMetrics(() => new Error('stdout closed'));
    const { consume, analytics, logger } = setup({ metrics });

    const result = await consume(inferenceCompletedEnvelope());

    expect(result.status).toBe('processed');
    expect((await analytics.dailyStats('claude-haiku-4-5', '2026-01-31'))?.requests).toBe(1);
    expect(logger.entries).toContainEqual(
      expect.objectContaining({ level: 'error', message: 'analytics: could not write the embedded metrics' }),
    );
  });

  it('acknowledges an event whose detail breaks the contract without counting it', async () => {
    const { consume, analytics } = setup();
    const broken = inferenceCompletedEnvelope(inferenceCompletedDetail({}, { estimated_cost_usd: '1e-6' }));

    const result = await consume(broken);

    expect(result).toMatchObject({ status: 'rejected', reason: 'invalid-detail' });
    expect(await analytics.dailyStats('claude-haiku-4-5', '2026-01-31')).toBeUndefined();
  });

  it('may emit nothing: an InferenceCompleted of its own would come back through the fan-out', () => {
    expect(consumerEmissions.analytics).toEqual([]);
  });
});

describe('analytics in the consumer registry', () => {
  it('is built from dedupe, analytics and metrics alone: no model, no bus', async () => {
    const analytics = new MemoryAnalyticsStore();
    const consume = consumerFactory('analytics')({
      dedupe: new MemoryIdempotencyStore(),
      analytics,
      metrics: recordingMetrics().metrics,
    });

    await consume(inferenceCompletedEnvelope());

    expect((await analytics.dailyStats('claude-haiku-4-5', '2026-01-31'))?.requests).toBe(1);
  });

  it('refuses to build without its metrics sink', () => {
    expect(() =>
      consumerFactory('analytics')({
        dedupe: new MemoryIdempotencyStore(),
        analytics: new MemoryAnalyticsStore(),
      }),
    ).toThrow(ConfigurationError);
  });
});
