import {
  chatResponseSchema,
  serverFrameSchema,
  sseUsageSchema,
  taskResponseSchema,
} from '@mangaassist/contracts';
import { gatewayResult } from '@mangaassist/fm-gateway/testing';
import { describe, expect, it } from 'vitest';
import { completeFrame } from '../websocket/websocket-frames.js';
import { toChatResponse } from './chat-endpoint.js';
import { toSseUsageEvent } from './chat-stream-endpoint.js';
import { toAnswerJson } from './usage-json.js';

const blocked = gatewayResult({
  text: 'そのご質問にはお答えできません。',
  stopReason: 'guardrail_intervened',
  guardrail: { action: 'intervened', filters: ['PROMPT_ATTACK'] },
});
const verdict = { action: 'intervened', filters: ['PROMPT_ATTACK'] };

describe('the guardrail’s verdict in every answer shape', () => {
  it('is in the chat response, the SSE usage event, the WebSocket complete frame and the task response', () => {
    expect(chatResponseSchema.parse(toChatResponse(blocked)).guardrail).toEqual(verdict);
    expect(sseUsageSchema.parse(toSseUsageEvent(blocked)).guardrail).toEqual(verdict);
    expect(
      serverFrameSchema.parse(completeFrame('3f1c2b9e-5a4d-4c1e-9b2a-7d6e5f4a3b2c', 9, blocked, 's1')),
    ).toMatchObject({
      type: 'complete',
      guardrail: verdict,
    });
    expect(
      taskResponseSchema.parse({
        request_id: 'r1',
        task: 'summarize',
        text: blocked.text,
        ...toAnswerJson(blocked),
      }).guardrail,
    ).toEqual(verdict);
  });

  it('is absent where no guardrail checked the answer', () => {
    const plain = gatewayResult();
    expect(toChatResponse(plain)).not.toHaveProperty('guardrail');
    expect(toSseUsageEvent(plain)).not.toHaveProperty('guardrail');
    expect(completeFrame('3f1c2b9e-5a4d-4c1e-9b2a-7d6e5f4a3b2c', 1, plain, 's1')).not.toHaveProperty(
      'guardrail',
    );
  });
});
