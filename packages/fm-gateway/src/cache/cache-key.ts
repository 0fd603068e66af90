import { createHash } from 'node:crypto';
import type { ChatMessage } from '../runtime/model-runtime.js';
import { normalizeForCacheKey } from '../text/normalize.js';

/** What decides a cached answer. Temperature is deliberately absent: see `responseCacheKey`. */
export interface ResponseCacheKeyInput {
  readonly tenantId: string;
  /** Catalog key (`claude-haiku-4-5`), not the Bedrock id: any region's answer will do. */
  readonly model: string;
  readonly system?: string;
  readonly messages: readonly ChatMessage[];
  readonly maxTokens: number;
  /** The guardrail (`id:version`) that passed the prompt, if any: answers are not shared across guardrails. */
  readonly guardrail?: string;
}

/** Bump when the encoding or the normalisation changes, so old entries are simply never read. */
const keyVersion = 'fm:v1';

/**
 * The response-cache key for a request: `fm:v1:` and a SHA-256 (hex) of a JSON array of the
 * tenant, the model's catalog key, the normalised system prompt, each message as
 * `[role, normalised content]` in order, `maxTokens` and, when one applies, the guardrail.
 *
 * JSON of an array is unambiguous where string concatenation is not (`["a|b","c"]` and
 * `["a","b|c"]` differ). Texts go through `normalizeForCacheKey`, so full-width/half-width,
 * NFD/NFC and spacing variants of one question share an answer; tenant and model are exact.
 * Temperature is left out (as in the seed): the same prompt at 0.3 or 0.7 is served from the
 * cache. A missing system prompt and an empty one are the same key.
 * Throws `RangeError` when `maxTokens` is not a positive integer.
 *
 * @example responseCacheKey({ tenantId: 't1', model: 'claude-haiku-4-5', messages, maxTokens: 1024 })
 *   // 'fm:v1:3f1c…' (64 hex digits)
 */
export function responseCacheKey(input: ResponseCacheKeyInput): string {
  if (!Number.isSafeInteger(input.maxTokens) || input.maxTokens < 1) {
    throw new RangeError(`maxTokens must be a positive integer, got ${input.maxTokens}`);
  }
  const canonical = JSON.stringify([
    keyVersion,
    input.tenantId,
    input.model,
    normalizeForCacheKey(input.system ?? ''),
    input.messages.map((message) => [message.role, normalizeForCacheKey(message.content)]),
    input.maxTokens,
    // Absent without a guardrail, so keys stored before guardrails existed stay valid.
    ...(input.guardrail !== undefined ? [input.guardrail] : []),
  ]);
  return `${keyVersion}:${createHash('sha256').update(canonical, 'utf8').digest('hex')}`;
}
