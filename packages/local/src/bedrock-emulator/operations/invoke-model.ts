import { anthropicPrompt } from './anthropic-request.js';
import { anthropicResponseBody } from './anthropic-shapes.js';
import type { Operation } from './operation.js';
import { sendWholeResponse } from './whole-response.js';

/** `POST /model/{modelId}/invoke`: Anthropic Messages in, one Anthropic message JSON out. */
export const invokeModel: Operation = {
  name: 'InvokeModel',
  streaming: false,
  readPrompt: anthropicPrompt,
  respond: (context) => {
    const { completion } = context;
    return sendWholeResponse(
      context,
      () => anthropicResponseBody(context.requestId, context.modelId, completion),
      (latencyMs) => ({
        'x-amzn-bedrock-input-token-count': completion.usage.inputTokens,
        'x-amzn-bedrock-output-token-count': completion.usage.outputTokens,
        'x-amzn-bedrock-invocation-latency': latencyMs,
      }),
    );
  },
};
