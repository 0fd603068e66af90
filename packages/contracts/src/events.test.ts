import { describe, expect, it } from 'vitest';
import { eventSources, type InferenceCompletedDetail, inferenceCompletedEvent } from './events.js';

function inferenceCompletedDetail(
  overrides: Partial<InferenceCompletedDetail> = {},
): InferenceCompletedDetail {
  return {
    request_id: 'req-0001',
    tenant_id: 'tenant-a',
    session_id: 'session-0001',
    model: 'claude-haiku-4-5',
    model_id: 'jp.anthropic.claude-haiku-4-5-20251001-v1:0',
    region: 'ap-northeast-1',
    status: 'success',
    stop_reason: 'end_turn',
    cached: false,
    metrics: {
      input_tokens: 120,
      output_tokens: 48,
      cache_read_input_tokens: 0,
      cache_write_input_tokens: 0,
      latency_ms: 812,
      ttft_ms: 240,
      estimated_cost_usd: '0.000412',
    },
    response_summary: 'おすすめは「ワンピース」です。',
    processing_stage: 'completed',
    ...overrides,
  };
}

function withCost(estimated_cost_usd: string) {
  return inferenceCompletedDetail({ metrics: { ...inferenceCompletedDetail().metrics, estimated_cost_usd } });
}

const schema = inferenceCompletedEvent.schema;

describe('InferenceCompleted', () => {
  it('is published by the ai source under the InferenceCompleted detail type', () => {
    expect(inferenceCompletedEvent.source).toBe(eventSources.ai);
    expect(inferenceCompletedEvent.detailType).toBe('InferenceCompleted');
  });

  it('accepts a complete detail', () => {
    const detail = inferenceCompletedDetail();

    expect(schema.parse(detail)).toEqual(detail);
  });

  it('accepts a degraded answer without session, stop reason or time to first token', () => {
    const {
      session_id: _session,
      stop_reason: _stop,
      ...detail
    } = inferenceCompletedDetail({
      status: 'degraded',
      model: 'none',
    });
    const { ttft_ms: _ttft, ...metrics } = detail.metrics;

    expect(schema.safeParse({ ...detail, metrics }).success).toBe(true);
  });

  it('rejects a processing_stage other than completed', () => {
    expect(schema.safeParse({ ...inferenceCompletedDetail(), processing_stage: 'raw' }).success).toBe(false);
  });

  it('accepts a 500-character summary and rejects 501', () => {
    expect(schema.safeParse(inferenceCompletedDetail({ response_summary: 'a'.repeat(500) })).success).toBe(
      true,
    );
    expect(schema.safeParse(inferenceCompletedDetail({ response_summary: 'a'.repeat(501) })).success).toBe(
      false,
    );
  });

  it('accepts a cost written as a decimal string', () => {
    expect(schema.safeParse(withCost('0')).success).toBe(true);
    expect(schema.safeParse(withCost('12.5')).success).toBe(true);
  });

  it('rejects a cost that is not a decimal string', () => {
    for (const cost of ['', '-0.1', '1e-6', '.5', '1.', '$0.01', 'NaN']) {
      expect(schema.safeParse(withCost(cost)).success, cost).toBe(false);
    }
    expect(
      schema.safeParse({
        ...inferenceCompletedDetail(),
        metrics: { ...inferenceCompletedDetail().metrics, estimated_cost_usd: 0.1 },
      }).success,
    ).toBe(false);
  });

  it('rejects an unknown status and negative token counts', () => {
    expect(schema.safeParse({ ...inferenceCompletedDetail(), status: 'pending' }).success).toBe(false);
    expect(
      schema.safeParse({
        ...inferenceCompletedDetail(),
        metrics: { ...inferenceCompletedDetail().metrics, input_tokens: -1 },
      }).success,
    ).toBe(false);
  });
});
