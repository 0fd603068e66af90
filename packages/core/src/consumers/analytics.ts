import {
  busEvents,
  type InferenceCompletedDetail,
  inferenceCompletedDetailSchema,
} from '@mangaassist/contracts';
import type { MetricsSink, MetricValue } from '../observability/embedded-metrics.js';
import type { Logger } from '../observability/logger.js';
import { errorMessage } from '../observability/rate-limited-warning.js';
import { utcDay } from '../tenants/utc-day.js';
import type { IdempotencyStore } from '../webhooks/idempotency-store.js';
import type { AnalyticsStore, InferenceUsage } from './analytics-store.js';
import { PermanentConsumerError } from './consumer-errors.js';
import { type BusEventEnvelope, type ConsumerFunction, makeEventConsumer } from './event-consumer.js';
import { usdToNano } from './nano-usd.js';

/** CloudWatch namespace of the per-inference metrics (dimension `model`). */
export const inferenceMetricsNamespace = 'MangaAssist/Inference';

export interface AnalyticsConsumerOptions {
  /** The consumed-events store (`consumedEventsTable`): one claim per event id. */
  readonly dedupe: IdempotencyStore;
  /** The analytics table (`inferenceAnalyticsTable`). */
  readonly analytics: AnalyticsStore;
  /** Where the embedded metrics go (`emfWriter()` in Lambda). */
  readonly metrics: MetricsSink;
  /** @default silentLogger */
  readonly logger?: Logger;
  /** Wall-clock epoch ms. @default Date.now */
  readonly now?: () => number;
}

const { InferenceCompleted } = busEvents;

/**
 * Reads an `InferenceCompleted` event (already validated by the wrapper) as what it adds to its
 * model's UTC day. The day is that of the event's `time` — when the inference completed — not of
 * its processing, so a retried or late event counts on the right day. Throws
 * `PermanentConsumerError` (`invalid-detail`) for a detail that breaks its schema or a cost too
 * large to count exactly.
 */
export function inferenceUsageOf(event: BusEventEnvelope): {
  readonly detail: InferenceCompletedDetail;
  readonly usage: InferenceUsage;
} {
  const parsed = inferenceCompletedDetailSchema.safeParse(event.detail);
  if (!parsed.success) throw new PermanentConsumerError('not an InferenceCompleted detail', 'invalid-detail');
  const detail = parsed.data;
  let costNanoUsd: number;
  try {
    costNanoUsd = usdToNano(detail.metrics.estimated_cost_usd);
  } catch (error) {
    throw new PermanentConsumerError(`unusable cost: ${errorMessage(error)}`, 'invalid-detail', {
      cause: error,
    });
  }
  const { metrics } = detail;
  return {
    detail,
    usage: {
      model: detail.model,
      day: utcDay(Date.parse(event.time)),
      status: detail.status,
      cached: detail.cached,
      inputTokens: metrics.input_tokens,
      outputTokens: metrics.output_tokens,
      cacheReadInputTokens: metrics.cache_read_input_tokens,
      cacheWriteInputTokens: metrics.cache_write_input_tokens,
      costNanoUsd,
      latencyMs: metrics.latency_ms,
    },
  };
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
  ];
}

/**
 * The analytics consumer (fan-out target of every `InferenceCompleted`), behind
 * `makeEventConsumer`: adds the inference to its model's UTC day in the analytics table —
 * requests, per-status and cached counts, the four token counts, cost in nano-dollars (exact
 * sums), latency sum and latency sketch (p50/p90/p99 within 2 %) — then writes one CloudWatch
 * EMF line (namespace `MangaAssist/Inference`, dimension `model`): Requests, InputTokens,
 * OutputTokens, CacheRead/WriteInputTokens, CostUSD, LatencyMs, and 0/1 Cached, Degraded, Error
 * and Timeout request counts (Sum per period = counts; Average = rates).
 *
 * Never calls a model and emits nothing (`consumerEmissions.analytics` is empty): an
 * `InferenceCompleted` of its own would come straight back through the fan-out rule.
 *
 * Idempotency: the wrapper's claim on the event id (kept 35 days, past the archive's 30) keeps
 * redeliveries and replays from counting twice. One window remains: if the outcome cannot be
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
  return makeEventConsumer({
    name: 'analytics',
    dedupe: options.dedupe,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    ...(options.now === undefined ? {} : { now: options.now }),
    consume: async (event, context) => {
      if (
        event.source !== InferenceCompleted.source ||
        event['detail-type'] !== InferenceCompleted.detailType
      ) {
        throw new PermanentConsumerError(
          `analytics does not handle ${event.source} / ${event['detail-type']}`,
          'unhandled-event',
        );
      }
      const { detail, usage } = inferenceUsageOf(event);
      await options.analytics.recordInference(usage);
      try {
        options.metrics.emit({
          namespace: inferenceMetricsNamespace,
          dimensions: { model: detail.model },
          metrics: inferenceMetrics(detail),
          properties: {
            request_id: detail.request_id,
            tenant_id: detail.tenant_id,
            status: detail.status,
            region: detail.region,
            event_id: context.eventId,
          },
        });
      } catch (error) {
        context.logger.error('analytics: could not write the embedded metrics', {
          eventId: context.eventId,
          error: errorMessage(error),
        });
      }
      return {
        status: 'processed',
        summary: {
          model: usage.model,
          day: usage.day,
          status: usage.status,
          cost_nano_usd: usage.costNanoUsd,
        },
      };
    },
  });
}
