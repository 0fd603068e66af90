import { encodeEvent } from '../event-stream.js';
import { anthropicPrompt } from './anthropic-request.js';
import { anthropicMessage, anthropicUsage } from './anthropic-shapes.js';
import type { Operation } from './operation.js';
import { streamCompletion } from './stream-response.js';

// Bedrock wraps each Anthropic stream event as a `chunk` whose `bytes` is the event JSON, base64.
function chunk(event: unknown): Uint8Array {
  return encodeEvent('chunk', { bytes: Buffer.from(JSON.stringify(event)).toString('base64') });
}

/** `POST /model/{modelId}/invoke-with-response-stream`: the Anthropic event stream in `chunk` events. */
export const invokeModelWithResponseStream: Operation = {
  name: 'InvokeModelWithResponseStream',
  streaming: true,
  readPrompt: anthropicPrompt,
  respond: (context) => {
    const { completion } = context;
    const usage = anthropicUsage(completion);
    return streamCompletion(context, {
      headers: { 'x-amzn-bedrock-content-type': 'application/json' },
      opening: () => [
        chunk({
          type: 'message_start',
          message: {
            ...anthropicMessage(context.requestId, context.modelId),
            content: [],
            stop_reason: null,
            stop_sequence: null,
            usage: { ...usage, output_tokens: 1 },
          },
        }),
        chunk({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
      ],
      delta: (text) => chunk({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } }),
      closing: ({ firstByteMs, totalMs }) => [
        chunk({ type: 'content_block_stop', index: 0 }),
        chunk({
          type: 'message_delta',
          delta: { stop_reason: completion.stopReason, stop_sequence: null },
          usage: { output_tokens: completion.usage.outputTokens },
        }),
        chunk({
          type: 'message_stop',
          'amazon-bedrock-invocationMetrics': {
            inputTokenCount: completion.usage.inputTokens,
            outputTokenCount: completion.usage.outputTokens,
            invocationLatency: totalMs,
            firstByteLatency: firstByteMs,
            cacheReadInputTokenCount: completion.usage.cacheReadInputTokens,
            cacheWriteInputTokenCount: completion.usage.cacheWriteInputTokens,
          },
        }),
      ],
    });
  },
};
