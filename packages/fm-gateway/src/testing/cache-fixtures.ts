import type { CachedAnswer } from '../cache/response-cache.js';

/** The epoch the cache tests start at (`testEpoch` of `@mangaassist/commons/testing`). */
export const cacheEpoch = Date.UTC(2025, 0, 1);

/** A complete answer as the cache stores it. For tests. */
export function cachedAnswer(overrides: Partial<CachedAnswer> = {}): CachedAnswer {
  return {
    text: 'ワンピースの最新刊は110巻です。',
    model: 'claude-haiku-4-5',
    modelId: 'jp.anthropic.claude-haiku-4-5-20251001-v1:0',
    region: 'ap-northeast-1',
    stopReason: 'end_turn',
    usage: { inputTokens: 42, outputTokens: 17, cacheReadInputTokens: 0, cacheWriteInputTokens: 0 },
    storedAt: cacheEpoch,
    ...overrides,
  };
}
