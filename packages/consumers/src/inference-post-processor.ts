import type { MetricsSink } from '@mangaassist/commons';
import type { InferenceCompletedDetail } from '@mangaassist/contracts';
import type { AnalyticsStore, AttentionReason } from './analytics-store.js';
import type { ConsumerFunction } from './event-consumer.js';
import {
  emitInferenceMetrics,
  type InferenceConsumerOptions,
  makeInferenceConsumer,
} from './inference-consumer.js';
import { usdToNano } from './nano-usd.js';

/** When an inference needs attention, unless configured otherwise. */
export const attentionDefaults = {
  /** Cost of one request above which it is flagged, decimal USD. */
  costThresholdUsd: '0.05',
  /** The chat SLA, ms: a complete answer (or a stream's first token) slower than this is flagged. */
  latencySlaMs: 3_000,
} as const;

export interface AttentionThresholds {
  /** Decimal USD (`"0.05"`). @default attentionDefaults.costThresholdUsd */
  readonly costThresholdUsd?: string;
  /** @default attentionDefaults.latencySlaMs (3000) */
  readonly latencySlaMs?: number;
}

export interface InferencePostProcessorOptions extends AttentionThresholds, InferenceConsumerOptions {
  /** Keeps each day's attention list (`attention#<day>`). */
  readonly analytics: AnalyticsStore;
  /** Receives `NeedsAttention` (`emfWriter()` in Lambda). */
  readonly metrics: MetricsSink;
}

/** Thresholds checked and in the units compared. */
export interface ResolvedAttentionThresholds {
  readonly costThresholdNanoUsd: number;
  readonly latencySlaMs: number;
}

/**
 * Thresholds with defaults applied, the cost in nano-dollars. Throws `RangeError` for a cost that
 * is not a decimal USD string or an SLA that is not a positive number.
 */
export function resolveAttentionThresholds(
  thresholds: AttentionThresholds = {},
): ResolvedAttentionThresholds {
  const latencySlaMs = thresholds.latencySlaMs ?? attentionDefaults.latencySlaMs;
  if (!Number.isFinite(latencySlaMs) || latencySlaMs <= 0) {
    throw new RangeError(`latencySlaMs must be a positive number, got ${latencySlaMs}`);
  }
  return {
    costThresholdNanoUsd: usdToNano(thresholds.costThresholdUsd ?? attentionDefaults.costThresholdUsd),
    latencySlaMs,
  };
}

/**
 * Why an inference needs attention, in a fixed order; empty when it does not:
 * `degraded`, `error` or `timeout` by its status; `cost-above-threshold` when its cost is strictly
 * above the threshold (compared in nano-dollars, exactly); `latency-above-sla` when it was slower
 * than the SLA — for a stream (`ttft_ms` present) the time to first token, which is what the chat
 * SLA promises, since a long stream legitimately takes longer than 3 s to finish.
 */
export function attentionReasons(
  detail: InferenceCompletedDetail,
  thresholds: ResolvedAttentionThresholds = resolveAttentionThresholds(),
): AttentionReason[] {
  const reasons: AttentionReason[] = [];
  if (detail.status !== 'success') reasons.push(detail.status);
  if (usdToNano(detail.metrics.estimated_cost_usd) > thresholds.costThresholdNanoUsd) {
    reasons.push('cost-above-threshold');
  }
  if ((detail.metrics.ttft_ms ?? detail.metrics.latency_ms) > thresholds.latencySlaMs) {
    reasons.push('latency-above-sla');
  }
  return reasons;
}

/**
 * The inference post-processor (the fan-out's other target), behind `makeEventConsumer`: flags
 * an `InferenceCompleted` that needs attention (`attentionReasons`: degraded, error or timeout,
 * cost above the threshold, slower than the SLA) and records it three ways:
 * - in the day's attention list of the analytics table (`attention#<day>`, the event's UTC day):
 *   bounded (100 entries by default; later ones only counted), one entry per request id;
 * - as a structured warning log line (`inference needs attention`, with the reasons);
 * - as an EMF metric `NeedsAttention` = 1 (namespace `MangaAssist/Inference`, dimension `model`)
 *   to alarm on.
 * An inference that needs nothing is acknowledged as `skipped` (`no-attention-needed`).
 *
 * Never calls a model and emits nothing (`consumerEmissions['inference-post-processor']` is
 * empty): its output would come back through the fan-out rule.
 *
 * Failures: an invalid detail → permanent (`invalid-detail`); the store failing → thrown, so
 * EventBridge retries (the list is idempotent on the request id, so a retry adds no second
 * entry). Metrics and log failures are logged, never thrown. Throws `RangeError` at construction
 * for thresholds it cannot compare (`resolveAttentionThresholds`).
 */
export function makeInferencePostProcessor(options: InferencePostProcessorOptions): ConsumerFunction {
  // Invalid thresholds fail when the consumer is built (cold start), not on every event.
  const thresholds = resolveAttentionThresholds(options);

  return makeInferenceConsumer(
    'inference-post-processor',
    options,
    async ({ detail, usage }, event, context) => {
      const reasons = attentionReasons(detail, thresholds);
      if (reasons.length === 0) return { status: 'skipped', reason: 'no-attention-needed' };

      const recorded = await options.analytics.recordAttention(usage.day, {
        requestId: detail.request_id,
        tenantId: detail.tenant_id,
        model: detail.model,
        status: detail.status,
        reasons,
        latencyMs: detail.metrics.latency_ms,
        costUsd: detail.metrics.estimated_cost_usd,
        eventId: context.eventId,
        at: new Date(Date.parse(event.time)).toISOString(),
      });
      const fields = {
        eventId: context.eventId,
        requestId: detail.request_id,
        tenantId: detail.tenant_id,
        model: detail.model,
        status: detail.status,
        reasons,
        latencyMs: detail.metrics.latency_ms,
        ...(detail.metrics.ttft_ms === undefined ? {} : { ttftMs: detail.metrics.ttft_ms }),
        costUsd: detail.metrics.estimated_cost_usd,
        attentionList: recorded,
      };
      context.logger.warn('inference needs attention', fields);
      emitInferenceMetrics(
        options.metrics,
        {
          model: detail.model,
          metrics: [{ name: 'NeedsAttention', unit: 'Count', value: 1 }],
          properties: { request_id: detail.request_id, reasons, event_id: context.eventId },
        },
        context,
        'inference-post-processor: could not write the embedded metric',
      );
      return {
        status: 'processed',
        summary: { request_id: detail.request_id, reasons, attention_list: recorded, day: usage.day },
      };
    },
  );
}
