// Test data and recording doubles for the analytics, post-processor and recommendation tests (no
// vitest here: any test may import it).
import { randomUUID } from 'node:crypto';
import type { MetricSet, MetricsSink } from '@mangaassist/commons';
import { busEvents, type InferenceCompletedDetail } from '@mangaassist/contracts';
import type { DomainEvent, EventPublisher } from '@mangaassist/events';
import type { BusEventEnvelope } from '../event-consumer.js';
import { eventEnvelope } from './consumer-fixtures.js';

type EnvelopeOverrides = Partial<Pick<BusEventEnvelope, 'id' | 'time' | 'replay-name'>>;

/** An `InferenceCompleted` detail: a fast, cheap, successful answer; override what matters. */
export function inferenceCompletedDetail(
  overrides: Partial<Omit<InferenceCompletedDetail, 'metrics'>> = {},
  metrics: Partial<InferenceCompletedDetail['metrics']> = {},
): InferenceCompletedDetail {
  return {
    request_id: `req-${randomUUID()}`,
    inference_id: randomUUID(),
    tenant_id: 'tenant-a',
    session_id: 'session-1',
    model: 'claude-haiku-4-5',
    model_id: 'jp.anthropic.claude-haiku-4-5-20251001-v1:0',
    region: 'ap-northeast-1',
    status: 'success',
    stop_reason: 'end_turn',
    cached: false,
    metrics: {
      input_tokens: 120,
      output_tokens: 80,
      cache_read_input_tokens: 0,
      cache_write_input_tokens: 0,
      latency_ms: 640,
      estimated_cost_usd: '0.000412',
      ...metrics,
    },
    response_summary: 'ワンピースがおすすめです。',
    processing_stage: 'completed',
    ...overrides,
  };
}

/** An `InferenceCompleted` event as the fan-out rule delivers it. */
export function inferenceCompletedEnvelope(
  detail: InferenceCompletedDetail = inferenceCompletedDetail(),
  envelope: EnvelopeOverrides = {},
): BusEventEnvelope {
  return eventEnvelope({
    source: busEvents.InferenceCompleted.source,
    detailType: busEvents.InferenceCompleted.detailType,
    detail: { ...detail },
    ...envelope,
  });
}

/** A metrics sink that keeps every set (or throws `fail` when given). */
export function recordingMetrics(fail?: () => Error | undefined) {
  const sets: MetricSet[] = [];
  const metrics: MetricsSink = {
    emit(set) {
      const error = fail?.();
      if (error) throw error;
      sets.push(set);
    },
  };
  return { metrics, sets };
}

/** A publisher that keeps every event (or rejects with `fail` when given). */
export function recordingPublisher(fail?: () => Error | undefined) {
  const published: DomainEvent[] = [];
  const events: EventPublisher = {
    async publish(batch) {
      const error = fail?.();
      if (error) throw error;
      published.push(...batch);
    },
  };
  return { events, published };
}
