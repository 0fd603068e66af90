import { conversePrompt } from './converse-request.js';
import { converseResponseBody } from './converse-shapes.js';
import type { Operation } from './operation.js';
import { sendWholeResponse } from './whole-response.js';

/** `POST /model/{modelId}/converse`: the model-neutral chat API. */
export const converse: Operation = {
  name: 'Converse',
  streaming: false,
  readPrompt: conversePrompt,
  respond: (context) => {
    const { completion } = context;
    return sendWholeResponse(context, (latencyMs) => converseResponseBody(completion, latencyMs));
  },
};
