import { conversePrompt } from './converse-request.js';
import { converseUsage } from './converse-shapes.js';
import type { Operation } from './operation.js';
import { sendWholeResponse } from './whole-response.js';

/** `POST /model/{modelId}/converse`: the model-neutral chat API. */
export const converse: Operation = {
  name: 'Converse',
  streaming: false,
  readPrompt: conversePrompt,
  respond: (context) => {
    const { completion } = context;
    return sendWholeResponse(context, (latencyMs) => ({
      output: { message: { role: 'assistant', content: [{ text: completion.text }] } },
      stopReason: completion.stopReason,
      usage: converseUsage(completion),
      metrics: { latencyMs },
      ...(completion.guardrailTrace ? { trace: { guardrail: completion.guardrailTrace } } : {}),
    }));
  },
};
