import { encodeEvent } from '../event-stream.js';
import { conversePrompt } from './converse-request.js';
import { converseUsage } from './converse-shapes.js';
import type { Operation } from './operation.js';
import { streamCompletion } from './stream-response.js';

/** `POST /model/{modelId}/converse-stream`: Converse as `messageStart` … `metadata` events. */
export const converseStream: Operation = {
  name: 'ConverseStream',
  streaming: true,
  readPrompt: conversePrompt,
  respond: (context) => {
    const { completion } = context;
    return streamCompletion(context, {
      headers: {},
      opening: () => [encodeEvent('messageStart', { role: 'assistant' })],
      delta: (text) => encodeEvent('contentBlockDelta', { contentBlockIndex: 0, delta: { text } }),
      closing: ({ totalMs }) => [
        encodeEvent('contentBlockStop', { contentBlockIndex: 0 }),
        encodeEvent('messageStop', { stopReason: completion.stopReason }),
        encodeEvent('metadata', {
          usage: converseUsage(completion),
          metrics: { latencyMs: totalMs },
          ...(completion.guardrailTrace ? { trace: { guardrail: completion.guardrailTrace } } : {}),
        }),
      ],
    });
  },
};
