/**
 * What the consumers of `InferenceCompleted` (the fan-out's targets: analytics and the
 * post-processor) share: the wrapper that accepts only that event and reads it, and the embedded
 * metrics line that reports it without ever failing the delivery.
 */

import type { Logger, MetricsSink, MetricValue } from '@mangaassist/commons';
import { errorMessage, utcDay } from '@mangaassist/commons';
import {
  busEvents,
  type EventConsumer,
  type InferenceCompletedDetail,
  inferenceCompletedDetailSchema,
} from '@mangaassist/contracts';
import type { IdempotencyStore } from '@mangaassist/idempotency';
import * as z from 'zod/mini';
import type { InferenceUsage } from './analytics-store.js';
import { PermanentConsumerError } from './consumer-errors.js';
import {
  type BusEventEnvelope,
  type ConsumerContext,
  type ConsumerFunction,
  type ConsumerOutcome,
  makeEventConsumer,
} from './event-consumer.js';
import { usdToNano } from './nano-usd.js';

/** CloudWatch namespace of the per-inference metrics (dimension `model`). */
export const inferenceMetricsNamespace = 'MangaAssist/Inference';

const { InferenceCompleted } = busEvents;

/** An `InferenceCompleted` read by `inferenceUsageOf`: its detail and what it adds to its day. */
export interface InferenceReading {
  readonly detail: InferenceCompletedDetail;
  readonly usage: InferenceUsage;
}

/**
 * Reads an `InferenceCompleted` event (already validated by the wrapper) as what it adds to its
 * model's UTC day. The day is that of the event's `time` — when the inference completed — not of
 * its processing, so a retried or late event counts on the right day. Throws
 * `PermanentConsumerError` (`invalid-detail`) for a detail that breaks its schema or a cost too
 * large to count exactly.
 */
export function inferenceUsageOf(event: BusEventEnvelope): InferenceReading {
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

/** The options every `InferenceCompleted` consumer passes on to `makeEventConsumer`. */
export interface InferenceConsumerOptions {
  /** The consumed-events store (`consumedEventsTable`): one claim per event id. */
  readonly dedupe: IdempotencyStore;
  /** @default silentLogger */
  readonly logger?: Logger;
  /** Wall-clock epoch ms. @default Date.now */
  readonly now?: () => number;
}

/** Handles one `InferenceCompleted`, already read (`inferenceUsageOf`). */
export type ConsumeInference = (
  inference: InferenceReading,
  event: BusEventEnvelope,
  context: ConsumerContext,
) => Promise<ConsumerOutcome>;

/**
 * An `InferenceCompleted` consumer behind `makeEventConsumer`: any other event is a permanent
 * failure (`unhandled-event`, "`<name>` does not handle …"), and a detail `inferenceUsageOf`
 * cannot read is one too (`invalid-detail`); `consume` gets the reading. Failure and idempotency
 * semantics are the wrapper's, with one claim per inference (`inferenceDedupeKey`).
 */
export function makeInferenceConsumer(
  name: EventConsumer,
  options: InferenceConsumerOptions,
  consume: ConsumeInference,
): ConsumerFunction {
  return makeEventConsumer({
    name,
    dedupe: options.dedupe,
    dedupeKey: inferenceDedupeKey,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    ...(options.now === undefined ? {} : { now: options.now }),
    consume: async (event, context) => {
      if (
        event.source !== InferenceCompleted.source ||
        event['detail-type'] !== InferenceCompleted.detailType
      ) {
        throw new PermanentConsumerError(
          `${name} does not handle ${event.source} / ${event['detail-type']}`,
          'unhandled-event',
        );
      }
      return consume(inferenceUsageOf(event), event, context);
    },
  });
}

const uuid = z.uuid();

/**
 * The claim key of an `InferenceCompleted`: `inference:<inference_id>`, so a publisher's resend
 * (same inference, new event id) is a duplicate; the event id when the detail has no usable
 * `inference_id` (an older producer's event, or a detail the schema will refuse anyway).
 */
export function inferenceDedupeKey(event: BusEventEnvelope): string {
  const id = event.detail.inference_id;
  return uuid.safeParse(id).success ? `inference:${id}` : event.id;
}

/** One inference's embedded metrics line (`inferenceMetricsNamespace`, dimension `model`). */
export interface InferenceMetricsLine {
  readonly model: string;
  readonly metrics: readonly MetricValue[];
  readonly properties: Readonly<Record<string, unknown>>;
}

/**
 * Writes `line` to `sink`. A failure (an `EmfFormatError`) is logged as `failureMessage` with the
 * event id, never thrown: the work the line reports is done, and a retry would do it twice.
 */
export function emitInferenceMetrics(
  sink: MetricsSink,
  line: InferenceMetricsLine,
  context: ConsumerContext,
  failureMessage: string,
): void {
  try {
    sink.emit({
      namespace: inferenceMetricsNamespace,
      dimensions: { model: line.model },
      metrics: line.metrics,
      properties: line.properties,
    });
  } catch (error) {
    context.logger.error(failureMessage, { eventId: context.eventId, error: errorMessage(error) });
  }
}
