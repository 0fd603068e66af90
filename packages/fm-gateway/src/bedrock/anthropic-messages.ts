import * as z from 'zod/mini';
import {
  type ModelOutput,
  type ModelRequest,
  type TokenUsage,
  toStopReason,
} from '../runtime/model-runtime.js';

// The Anthropic Messages format Claude takes and gives on Bedrock (InvokeModel bodies, batch
// inference records). No SDK here: the InvokeModel runtime and the batch helpers share it.

/** The `anthropic_version` Bedrock requires in every Claude InvokeModel body. */
export const bedrockAnthropicVersion = 'bedrock-2023-05-31';

/**
 * The InvokeModel body for Claude: messages, the system prompt (with a cache point after it when
 * the request asks for prompt caching), `max_tokens` and the temperature when set.
 */
export function toAnthropicBody(request: ModelRequest): Record<string, unknown> {
  const system = request.system
    ? request.promptCache
      ? [{ type: 'text', text: request.system, cache_control: { type: 'ephemeral' } }]
      : request.system
    : undefined;
  return {
    anthropic_version: bedrockAnthropicVersion,
    max_tokens: request.maxTokens,
    messages: request.messages.map((message) => ({ role: message.role, content: message.content })),
    ...(system ? { system } : {}),
    ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
  };
}

export const anthropicUsageSchema = z.object({
  input_tokens: z.optional(z.number()),
  output_tokens: z.optional(z.number()),
  cache_read_input_tokens: z.nullish(z.number()),
  cache_creation_input_tokens: z.nullish(z.number()),
});
export type AnthropicUsage = z.infer<typeof anthropicUsageSchema>;

/** The parts of a Claude message (the InvokeModel response body) the gateway reads. */
export const anthropicMessageSchema = z.object({
  content: z.array(z.object({ type: z.string(), text: z.optional(z.string()) })),
  stop_reason: z.nullish(z.string()),
  usage: z.optional(anthropicUsageSchema),
});
export type AnthropicMessage = z.infer<typeof anthropicMessageSchema>;

/** A Claude message as the gateway's output: its text blocks joined, stop reason and usage. */
export function toModelOutput(message: AnthropicMessage): ModelOutput {
  return {
    text: message.content.map((block) => (block.type === 'text' ? (block.text ?? '') : '')).join(''),
    stopReason: toStopReason(message.stop_reason),
    usage: toUsage(message.usage),
  };
}

/** Anthropic reports `input_tokens` without the cache read/creation tokens, as Converse does. */
export function toUsage(usage: AnthropicUsage | undefined): TokenUsage {
  return {
    inputTokens: usage?.input_tokens ?? 0,
    outputTokens: usage?.output_tokens ?? 0,
    cacheReadInputTokens: usage?.cache_read_input_tokens ?? 0,
    cacheWriteInputTokens: usage?.cache_creation_input_tokens ?? 0,
  };
}
