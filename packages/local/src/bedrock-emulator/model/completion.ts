import { assessGuardrail, type GuardrailTrace } from './guardrail.js';
import { localReply, type ModelIdentity } from './local-model.js';
import { fullPromptText, type ModelPrompt } from './model-prompt.js';
import type { PromptCache } from './prompt-cache.js';
import { countTokens, splitIntoDeltas, truncateToTokens } from './tokens.js';

export type StopReason = 'end_turn' | 'max_tokens' | 'guardrail_intervened';

export interface TokenUsage {
  /** Input tokens not read from or written to the prompt cache (Anthropic and Converse semantics). */
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheReadInputTokens: number;
  readonly cacheWriteInputTokens: number;
}

/** One finished answer of the emulated model, ready to be written in any API's shape. */
export interface Completion {
  readonly text: string;
  /** `text` split the way a stream delivers it; joined they equal `text`. */
  readonly deltas: readonly string[];
  readonly stopReason: StopReason;
  readonly usage: TokenUsage;
  readonly source: 'script' | 'local-model' | 'guardrail';
  /** The guardrail's trace, when the request asked for a guardrail and its trace. */
  readonly guardrailTrace?: GuardrailTrace;
}

export interface CompletionSources {
  /** A scripted answer for this prompt, if one matches (consuming one use of the script). */
  readonly scriptedReply: (promptText: string) => string | undefined;
  readonly promptCache: PromptCache;
}

/**
 * Answers a prompt: a matching script's text or the local model's reply, cut to `maxTokens`.
 * With a guardrail, its assessment comes first: a blocked prompt is answered with the
 * guardrail's message (`guardrail_intervened`, no tokens: the model never ran).
 */
export function complete(
  prompt: ModelPrompt,
  identity: ModelIdentity,
  sources: CompletionSources,
): Completion {
  if (prompt.guardrail === undefined) return answer(prompt, identity, sources);
  const assessment = assessGuardrail(prompt.guardrail);
  const trace = prompt.guardrail.trace ? { guardrailTrace: assessment.trace } : {};
  if (!assessment.intervened) return { ...answer(prompt, identity, sources), ...trace };
  return {
    text: assessment.blockedMessage,
    deltas: splitIntoDeltas(assessment.blockedMessage),
    stopReason: 'guardrail_intervened',
    usage: { inputTokens: 0, outputTokens: 0, cacheReadInputTokens: 0, cacheWriteInputTokens: 0 },
    source: 'guardrail',
    ...trace,
  };
}

function answer(prompt: ModelPrompt, identity: ModelIdentity, sources: CompletionSources): Completion {
  const scripted = sources.scriptedReply(fullPromptText(prompt));
  const fullText = scripted ?? localReply(prompt, identity);
  const limited =
    prompt.maxTokens !== undefined && countTokens(fullText) > prompt.maxTokens
      ? truncateToTokens(fullText, prompt.maxTokens)
      : fullText;
  return {
    text: limited,
    deltas: splitIntoDeltas(limited),
    stopReason: limited === fullText ? 'end_turn' : 'max_tokens',
    usage: usageOf(prompt, identity, limited, sources.promptCache),
    source: scripted === undefined ? 'local-model' : 'script',
  };
}

function usageOf(
  prompt: ModelPrompt,
  identity: ModelIdentity,
  output: string,
  cache: PromptCache,
): TokenUsage {
  const promptTokens = Math.max(1, countTokens(fullPromptText(prompt)));
  const prefix = prompt.cachedSystemPrefix;
  const cachedTokens =
    prefix === undefined || prefix === '' ? 0 : Math.min(promptTokens, countTokens(prefix));
  const outcome = cachedTokens > 0 && prefix !== undefined ? cache.touch(identity, prefix) : undefined;
  return {
    inputTokens: promptTokens - cachedTokens,
    outputTokens: countTokens(output),
    cacheReadInputTokens: outcome === 'read' ? cachedTokens : 0,
    cacheWriteInputTokens: outcome === 'write' ? cachedTokens : 0,
  };
}
