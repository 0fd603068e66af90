import type { Completion } from '../model/completion.js';
import { anthropicModelName } from '../model/model-names.js';

/** The Anthropic `usage` object Claude on Bedrock returns. */
export function anthropicUsage(completion: Completion) {
  return {
    input_tokens: completion.usage.inputTokens,
    output_tokens: completion.usage.outputTokens,
    cache_read_input_tokens: completion.usage.cacheReadInputTokens,
    cache_creation_input_tokens: completion.usage.cacheWriteInputTokens,
  };
}

/** A `msg_bdrk_…` message id, derived from the request id so one request gives one id. */
export function anthropicMessageId(requestId: string): string {
  return `msg_bdrk_${requestId.replaceAll('-', '').slice(0, 24)}`;
}

/** The message envelope shared by the InvokeModel response and the stream's `message_start`. */
export function anthropicMessage(requestId: string, modelId: string) {
  return {
    id: anthropicMessageId(requestId),
    type: 'message',
    role: 'assistant',
    model: anthropicModelName(modelId),
  } as const;
}

/** The InvokeModel response body for Claude: one Anthropic message holding the whole completion. */
export function anthropicResponseBody(requestId: string, modelId: string, completion: Completion) {
  return {
    ...anthropicMessage(requestId, modelId),
    content: [{ type: 'text', text: completion.text }],
    stop_reason: completion.stopReason,
    stop_sequence: null,
    usage: anthropicUsage(completion),
  };
}
