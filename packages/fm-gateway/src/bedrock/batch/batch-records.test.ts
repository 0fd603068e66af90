import { describe, expect, it } from 'vitest';
import type { ModelRequest } from '../../runtime/model-runtime.js';
import {
  BatchOutputLineError,
  batchInputLine,
  batchInputRecord,
  parseBatchOutput,
  parseBatchOutputLine,
  UnsupportedBatchModelError,
} from './batch-records.js';

function modelRequest(overrides: Partial<ModelRequest> = {}): ModelRequest {
  return {
    modelId: 'jp.anthropic.claude-haiku-4-5-20251001-v1:0',
    system: 'あなたは書店員です。',
    messages: [{ role: 'user', content: '「葬送のフリーレン」13巻の紹介文を書いて' }],
    maxTokens: 400,
    ...overrides,
  };
}

/** A Claude message as Bedrock writes it in `modelOutput`. */
function claudeMessage(text: string, overrides: Record<string, unknown> = {}) {
  return {
    id: 'msg_bdrk_01',
    type: 'message',
    role: 'assistant',
    content: [{ type: 'text', text }],
    stop_reason: 'end_turn',
    usage: {
      input_tokens: 30,
      output_tokens: 12,
      cache_read_input_tokens: 0,
      cache_creation_input_tokens: 0,
    },
    ...overrides,
  };
}

function outputLine(record: Record<string, unknown>): string {
  return JSON.stringify({ modelInput: { anthropic_version: 'bedrock-2023-05-31' }, ...record });
}

describe('batchInputRecord', () => {
  it('wraps the same Anthropic body InvokeModel sends in a record', () => {
    expect(batchInputRecord('sku-123', modelRequest({ temperature: 0.2 }))).toEqual({
      recordId: 'sku-123',
      modelInput: {
        anthropic_version: 'bedrock-2023-05-31',
        max_tokens: 400,
        system: 'あなたは書店員です。',
        messages: [{ role: 'user', content: '「葬送のフリーレン」13巻の紹介文を書いて' }],
        temperature: 0.2,
      },
    });
  });

  it('accepts a Claude model by foundation-model or inference-profile ARN', () => {
    const arn =
      'arn:aws:bedrock:ap-northeast-1:123456789012:inference-profile/jp.anthropic.claude-haiku-4-5-20251001-v1:0';

    expect(batchInputRecord('a', modelRequest({ modelId: arn })).recordId).toBe('a');
  });

  it('refuses a model that does not take the Anthropic body, and an empty record id', () => {
    expect(() => batchInputRecord('a', modelRequest({ modelId: 'amazon.nova-lite-v1:0' }))).toThrow(
      UnsupportedBatchModelError,
    );
    expect(() => batchInputRecord('', modelRequest())).toThrow(TypeError);
  });

  it('writes the record as one JSONL line', () => {
    const line = batchInputLine('sku-123', modelRequest({ messages: [{ role: 'user', content: 'a\nb' }] }));

    expect(line).not.toContain('\n');
    expect(JSON.parse(line)).toEqual(
      batchInputRecord('sku-123', modelRequest({ messages: [{ role: 'user', content: 'a\nb' }] })),
    );
  });
});

describe('parseBatchOutputLine', () => {
  it('reads an answered record as text, stop reason and usage', () => {
    const line = outputLine({ recordId: 'sku-123', modelOutput: claudeMessage('冒険の後日譚。') });

    expect(parseBatchOutputLine(line)).toEqual({
      recordId: 'sku-123',
      text: '冒険の後日譚。',
      stopReason: 'end_turn',
      usage: { inputTokens: 30, outputTokens: 12, cacheReadInputTokens: 0, cacheWriteInputTokens: 0 },
    });
  });

  it('reads a failed record as its error code and message', () => {
    const line = outputLine({ recordId: 'sku-9', error: { errorCode: 400, errorMessage: 'bad request' } });

    expect(parseBatchOutputLine(line)).toEqual({
      recordId: 'sku-9',
      error: { code: '400', message: 'bad request' },
    });
  });

  it.each([
    ['a line that is not JSON', '{"recordId": ', /not JSON/],
    [
      'a line without recordId',
      outputLine({ modelOutput: claudeMessage('x') }),
      /not a batch output record: recordId/,
    ],
    [
      'a line with neither modelOutput nor error',
      outputLine({ recordId: 'sku-1' }),
      /record sku-1 has neither modelOutput nor error/,
    ],
    [
      'a modelOutput that is not a Claude message',
      outputLine({ recordId: 'sku-1', modelOutput: { results: [{ outputText: 'blue' }] } }),
      /record sku-1: modelOutput is not a Claude message \(content: /,
    ],
  ])('rejects %s with BatchOutputLineError', (_, line, message) => {
    expect(() => parseBatchOutputLine(line)).toThrow(BatchOutputLineError);
    expect(() => parseBatchOutputLine(line)).toThrow(message);
  });
});

describe('parseBatchOutput', () => {
  it('reads every non-blank line in order', () => {
    const text = [
      outputLine({ recordId: 'a', modelOutput: claudeMessage('A') }),
      '',
      outputLine({ recordId: 'b', error: { errorCode: 424, errorMessage: 'model error' } }),
      '',
    ].join('\n');

    expect(parseBatchOutput(text).map((result) => result.recordId)).toEqual(['a', 'b']);
  });

  it('names the line of the first bad record', () => {
    const text = [outputLine({ recordId: 'a', modelOutput: claudeMessage('A') }), '{broken'].join('\n');

    expect(() => parseBatchOutput(text)).toThrow(/^Line 2: not JSON/);
  });
});
