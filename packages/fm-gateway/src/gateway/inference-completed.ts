import { randomUUID } from 'node:crypto';
import {
  inferenceCompletedEvent as contract,
  eventSources,
  type InferenceCompletedDetail,
} from '@mangaassist/contracts';
import type { DomainEvent } from '@mangaassist/events';
import { formatUsd } from '../cost/estimate-cost.js';
import type { GatewayRequest, GatewayResult } from './gateway-types.js';

const summaryChars = 500;

/** The `InferenceCompleted` event for one gateway answer (seed 000 §3.1 shape, validated by contracts). */
export function inferenceCompletedEvent(
  result: GatewayResult,
  status: InferenceCompletedDetail['status'],
  request: GatewayRequest,
): DomainEvent {
  const detail: InferenceCompletedDetail = {
    request_id: result.requestId,
    inference_id: randomUUID(),
    tenant_id: request.tenantId,
    ...(request.sessionId !== undefined ? { session_id: request.sessionId } : {}),
    model: result.model,
    routed_model: result.routing.model,
    model_id: result.modelId,
    region: result.region,
    status,
    stop_reason: result.stopReason,
    cached: result.cached,
    metrics: {
      input_tokens: result.usage.inputTokens,
      output_tokens: result.usage.outputTokens,
      cache_read_input_tokens: result.usage.cacheReadInputTokens,
      cache_write_input_tokens: result.usage.cacheWriteInputTokens,
      latency_ms: Math.round(result.latencyMs),
      ...(result.ttftMs !== undefined ? { ttft_ms: Math.round(result.ttftMs) } : {}),
      estimated_cost_usd: formatUsd(result.costUsd),
    },
    response_summary: summarize(result.text),
    processing_stage: 'completed',
    ...(request.chain
      ? { chain_depth: request.chain.depth, source_event_id: request.chain.sourceEventId }
      : {}),
  };
  return { source: eventSources.ai, detailType: contract.detailType, detail: contract.schema.parse(detail) };
}

function summarize(text: string): string {
  const chars = Array.from(text);
  if (chars.length <= summaryChars) return text;
  return `${chars.slice(0, summaryChars - 1).join('')}…`;
}
