import type { Completion } from '../model/completion.js';

/** Converse's `usage`: `totalTokens` counts fresh input, output and both kinds of cached input. */
export function converseUsage(completion: Completion) {
  const { inputTokens, outputTokens, cacheReadInputTokens, cacheWriteInputTokens } = completion.usage;
  return {
    inputTokens,
    outputTokens,
    totalTokens: inputTokens + outputTokens + cacheReadInputTokens + cacheWriteInputTokens,
    cacheReadInputTokens,
    cacheWriteInputTokens,
  };
}
