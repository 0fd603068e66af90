/**
 * The snake_case JSON of what an answer used and cost, written once for every public shape that
 * carries it: the chat and task responses, the SSE usage event and the WebSocket `complete` frame.
 */
import type { ChatResponse } from '@mangaassist/contracts';
import type { GatewayResult, TokenUsage } from '@mangaassist/fm-gateway';
import type { ChatAnswer } from '../chat-service.js';

/** The contract's `usage` object (`usageSchema`). */
export type UsageJson = ChatResponse['usage'];

/** The fields every JSON answer of the API shares, in the contract's order. */
export type AnswerJson = Pick<
  ChatResponse,
  | 'model'
  | 'model_id'
  | 'region'
  | 'stop_reason'
  | 'usage'
  | 'cost_usd'
  | 'latency_ms'
  | 'cached'
  | 'degraded'
  | 'guardrail'
>;

/** Token usage in the contract's snake_case (`usageSchema`). */
export function toUsageJson(usage: TokenUsage): UsageJson {
  return {
    input_tokens: usage.inputTokens,
    output_tokens: usage.outputTokens,
    cache_read_input_tokens: usage.cacheReadInputTokens,
    cache_write_input_tokens: usage.cacheWriteInputTokens,
  };
}

/**
 * Who answered, how it ended, what it used and cost, and whether it came from the cache or the
 * degraded path; `latency_ms` is rounded to a whole millisecond. Spread it into a response after
 * its own leading fields, so the keys keep the contract's order.
 */
export function toAnswerJson(result: GatewayResult): AnswerJson {
  return {
    model: result.model,
    model_id: result.modelId,
    region: result.region,
    stop_reason: result.stopReason,
    usage: toUsageJson(result.usage),
    cost_usd: result.costUsd,
    latency_ms: Math.round(result.latencyMs),
    cached: result.cached,
    degraded: result.degraded,
    ...guardrailJson(result),
  };
}

/** The guardrail's verdict in the contract's shape, when a guardrail checked the answer. */
export function guardrailJson(result: GatewayResult): Pick<AnswerJson, 'guardrail'> {
  const { guardrail } = result;
  return guardrail ? { guardrail: { action: guardrail.action, filters: [...guardrail.filters] } } : {};
}

/** The answer's citations in the contract's shape, when the deployment grounds answers in a catalog. */
export function citationsJson(result: ChatAnswer): Pick<ChatResponse, 'citations'> {
  return result.citations ? { citations: result.citations.map((citation) => ({ ...citation })) } : {};
}
