import type { MetricsSink, MetricValue } from '@mangaassist/commons';
import type { InferenceCompletedDetail } from '@mangaassist/contracts';
import type { AnalyticsStore } from './analytics-store.js';
import type { ConsumerFunction } from './event-consumer.js';
import {
  emitInferenceMetrics,
  type InferenceConsumerOptions,
  makeInferenceConsumer,
} from './inference-consumer.js';

export { inferenceMetricsNamespace } from './inference-consumer.js';

export interface AnalyticsConsumerOptions extends InferenceConsumerOptions {
  /** The analytics table (`inferenceAnalyticsTable`). */
  readonly analytics: AnalyticsStore;
  /** Where the embedded metrics go (`emfWriter()` in Lambda). */
  readonly metrics: MetricsSink;
}

/** The embedded metrics of one inference: counts that sum per period, and its latency and cost. */
export function inferenceMetrics(detail: InferenceCompletedDetail): MetricValue[] {
  const { metrics, status } = detail;
  const flag = (on: boolean) => (on ? 1 : 0);
  return [
    { name: 'Requests', unit: 'Count', value: 1 },
    { name: 'InputTokens', unit: 'Count', value: metrics.input_tokens },
    { name: 'OutputTokens', unit: 'Count', value: metrics.output_tokens },
    { name: 'CacheReadInputTokens', unit: 'Count', value: metrics.cache_read_input_tokens },
    { name: 'CacheWriteInputTokens', unit: 'Count', value: metrics.cache_write_input_tokens },
    { name: 'CostUSD', unit: 'None', value: Number(metrics.estimated_cost_usd) },
    { name: 'LatencyMs', unit: 'Milliseconds', value: metrics.latency_ms },
    { name: 'CachedRequests', unit: 'Count', value: flag(detail.cached) },
    { name: 'DegradedRequests', unit: 'Count', value: flag(status === 'degraded') },
    { name: 'ErrorRequests', unit: 'Count', value: flag(status === 'error') },
    { name: 'TimeoutRequests', unit: 'Count', value: flag(status === 'timeout') },
    // Answered, and by another model of the ladder than the router chose (failures are counted above).
    {
      name: 'FallbackRequests',
      unit: 'Count',
      value: flag(
        status === 'success' && detail.routed_model !== undefined && detail.model !== detail.routed_model,
      ),
    },
    ...(metrics.ttft_ms === undefined
      ? []
      : [{ name: 'TimeToFirstTokenMs', unit: 'Milliseconds', value: metrics.ttft_ms } as const]),
  ];
}

/**
 * The analytics consumer (fan-out target of every `InferenceCompleted`), behind
 * `makeEventConsumer`: adds the inference to its model's UTC day in the analytics table —
 * requests, per-status and cached counts, the four token counts, cost in nano-dollars (exact
 * sums), latency sum and latency sketch (p50/p90/p99 within 2 %) — then writes one CloudWatch
 * EMF line (namespace `MangaAssist/Inference`, dimension `model`): Requests, InputTokens,
 * OutputTokens, CacheRead/WriteInputTokens, CostUSD, LatencyMs, TimeToFirstTokenMs (streams), and
 * 0/1 Cached, Degraded, Error, Timeout and Fallback request counts (Sum per period = counts;
 * Average = rates).
 *
 * Never calls a model and emits nothing (`consumerEmissions.analytics` is empty): an
 * `InferenceCompleted` of its own would come straight back through the fan-out rule.
 *
 * Idempotency: the wrapper's claim on the inference (`inferenceDedupeKey`, kept 35 days, past the
 * archive's 30) keeps redeliveries, replays and a publisher's resends from counting twice. One window remains: if the outcome cannot be
 * stored after the counters were added, the claim lapses after its in-progress time and a later
 * redelivery counts again — the table's `ADD`s cannot be made conditional on the event id
 * without a transaction, which a hot aggregate item cannot afford (conflicts).
 *
 * Failures: an invalid detail or unusable cost → permanent (`invalid-detail`, acknowledged); the
 * table failing → thrown, so EventBridge retries. The metrics line is written only after the
 * table update succeeded, and a metrics failure is logged, never thrown (a retry would count the
 * table twice).
 */
export function makeAnalyticsConsumer(options: AnalyticsConsumerOptions): ConsumerFunction {
  return makeInferenceConsumer('analytics', options, async ({ detail, usage }, _event, context) => {
    await options.analytics.recordInference(usage);
    emitInferenceMetrics(
      options.metrics,
      {
        model: detail.model,
        metrics: inferenceMetrics(detail),
        properties: {
          request_id: detail.request_id,
          tenant_id: detail.tenant_id,
          status: detail.status,
          region: detail.region,
          event_id: context.eventId,
        },
      },
      context,
      'analytics: could not write the embedded metrics',
    );
    return {
      status: 'processed',
      summary: {
        model: usage.model,
        day: usage.day,
        status: usage.status,
        cost_nano_usd: usage.costNanoUsd,
      },
    };
  });
}
