import { describe, expect, it } from 'vitest';
import type { ChatMessage } from '../runtime/model-runtime.js';
import { type ResponseCacheKeyInput, responseCacheKey } from './cache-key.js';

function userMessage(content: string): ChatMessage {
  return { role: 'user', content };
}

function keyInput(overrides: Partial<ResponseCacheKeyInput> = {}): ResponseCacheKeyInput {
  return {
    tenantId: 'tenant-a',
    model: 'claude-haiku-4-5',
    system: 'あなたは漫画ストアのアシスタントです。',
    messages: [userMessage('ワンピースの最新刊は何巻ですか？')],
    maxTokens: 1_024,
    ...overrides,
  };
}

describe('responseCacheKey', () => {
  it('is fm:v1: followed by a SHA-256 in hex', () => {
    expect(responseCacheKey(keyInput())).toMatch(/^fm:v1:[0-9a-f]{64}$/);
  });

  it('is the same for the same input', () => {
    expect(responseCacheKey(keyInput())).toBe(responseCacheKey(keyInput()));
  });

  it('shares a key between full-width and half-width spellings', () => {
    const fullWidth = keyInput({ messages: [userMessage('ＯＮＥ ＰＩＥＣＥ １０７巻 ﾜﾝﾋﾟｰｽ')] });
    const halfWidth = keyInput({ messages: [userMessage('ONE PIECE 107巻 ワンピース')] });
    expect(responseCacheKey(fullWidth)).toBe(responseCacheKey(halfWidth));
  });

  it('shares a key between spacing variants, including ideographic spaces', () => {
    const spaced = keyInput({ messages: [userMessage('  ワンピースの\u3000\u3000最新刊は？\n')] });
    const plain = keyInput({ messages: [userMessage('ワンピースの 最新刊は?')] });
    expect(responseCacheKey(spaced)).toBe(responseCacheKey(plain));
  });

  it('shares a key between NFD and NFC spellings of kana with dakuten', () => {
    const decomposed = keyInput({ messages: [userMessage('まんか\u3099')] });
    const composed = keyInput({ messages: [userMessage('まんが')] });
    expect(responseCacheKey(decomposed)).toBe(responseCacheKey(composed));
  });

  it('normalises the system prompt too', () => {
    expect(responseCacheKey(keyInput({ system: 'ＡＩ　アシスタント' }))).toBe(
      responseCacheKey(keyInput({ system: 'AI アシスタント' })),
    );
  });

  it('ignores temperature', () => {
    const warm = { ...keyInput(), temperature: 0.9 };
    const cold = { ...keyInput(), temperature: 0 };
    expect(responseCacheKey(warm)).toBe(responseCacheKey(cold));
  });

  it('treats a missing system prompt like an empty one', () => {
    expect(responseCacheKey(keyInput({ system: undefined }))).toBe(
      responseCacheKey(keyInput({ system: '' })),
    );
  });

  it('differs for another tenant', () => {
    expect(responseCacheKey(keyInput({ tenantId: 'tenant-b' }))).not.toBe(responseCacheKey(keyInput()));
  });

  it('differs for another model', () => {
    expect(responseCacheKey(keyInput({ model: 'claude-sonnet-4-5' }))).not.toBe(responseCacheKey(keyInput()));
  });

  it('differs for another maxTokens', () => {
    expect(responseCacheKey(keyInput({ maxTokens: 2_048 }))).not.toBe(responseCacheKey(keyInput()));
  });

  it('differs when a message changes role', () => {
    const asUser = keyInput({ messages: [userMessage('こんにちは')] });
    const asAssistant = keyInput({ messages: [{ role: 'assistant', content: 'こんにちは' }] });
    expect(responseCacheKey(asUser)).not.toBe(responseCacheKey(asAssistant));
  });

  it('differs when the messages come in another order', () => {
    const first = userMessage('一巻');
    const second = userMessage('二巻');
    expect(responseCacheKey(keyInput({ messages: [first, second] }))).not.toBe(
      responseCacheKey(keyInput({ messages: [second, first] })),
    );
  });

  it('does not collide when text moves across a field boundary', () => {
    const split = keyInput({ messages: [userMessage('a b'), userMessage('c')] });
    const moved = keyInput({ messages: [userMessage('a'), userMessage('b c')] });
    expect(responseCacheKey(split)).not.toBe(responseCacheKey(moved));
    expect(responseCacheKey(keyInput({ tenantId: 'a', model: 'b:c' }))).not.toBe(
      responseCacheKey(keyInput({ tenantId: 'a:b', model: 'c' })),
    );
  });

  it('keeps letter case significant', () => {
    expect(responseCacheKey(keyInput({ messages: [userMessage('Bleach')] }))).not.toBe(
      responseCacheKey(keyInput({ messages: [userMessage('bleach')] })),
    );
  });

  it('rejects a maxTokens that is not a positive integer', () => {
    for (const maxTokens of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => responseCacheKey(keyInput({ maxTokens }))).toThrow(RangeError);
    }
  });
});
