import { randomUUID } from 'node:crypto';
import type { GatewayResult } from '../gateway/gateway-types.js';

/** A whole answer of the fast model, as the gateway returns it. For tests. */
export function gatewayResult(overrides: Partial<GatewayResult> = {}): GatewayResult {
  return {
    requestId: randomUUID(),
    text: 'こんにちは！',
    model: 'claude-haiku-4-5',
    modelId: 'jp.anthropic.claude-haiku-4-5-20251001-v1:0',
    region: 'ap-northeast-1',
    stopReason: 'end_turn',
    usage: { inputTokens: 120, outputTokens: 80, cacheReadInputTokens: 0, cacheWriteInputTokens: 0 },
    costUsd: 0.0004,
    latencyMs: 640,
    cached: false,
    stale: false,
    degraded: false,
    routing: { model: 'claude-haiku-4-5', requested: 'fast', reason: 'alias:fast' },
    attempts: [],
    ...overrides,
  };
}
