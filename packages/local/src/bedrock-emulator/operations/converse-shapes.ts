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

/** The Converse response body: the completion as one assistant message, with usage and latency. */
export function converseResponseBody(completion: Completion, latencyMs: number) {
  return {
    output: { message: { role: 'assistant', content: [{ text: completion.text }] } },
    stopReason: completion.stopReason,
    usage: converseUsage(completion),
    metrics: { latencyMs },
    ...(completion.guardrailTrace ? { trace: { guardrail: completion.guardrailTrace } } : {}),
  };
}
