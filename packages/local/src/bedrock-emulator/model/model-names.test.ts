import { describe, expect, it } from 'vitest';
import { anthropicModelName, looksLikeModelId, shortModelName } from './model-names.js';

describe('model names', () => {
  it('accepts foundation-model ids, inference-profile ids and ARNs, and nothing shapeless', () => {
    expect(looksLikeModelId('anthropic.claude-3-haiku-20240307-v1:0')).toBe(true);
    expect(looksLikeModelId('jp.anthropic.claude-sonnet-4-5-20250929-v1:0')).toBe(true);
    expect(
      looksLikeModelId(
        'arn:aws:bedrock:ap-northeast-1:123456789012:inference-profile/jp.anthropic.claude-haiku-4-5-20251001-v1:0',
      ),
    ).toBe(true);
    expect(looksLikeModelId('not-a-model')).toBe(false);
    expect(looksLikeModelId('')).toBe(false);
  });

  it('derives the Anthropic response model name and a short label', () => {
    const id = 'jp.anthropic.claude-sonnet-4-5-20250929-v1:0';

    expect(anthropicModelName(id)).toBe('claude-sonnet-4-5-20250929');
    expect(shortModelName(id)).toBe('claude-sonnet-4-5');
    expect(shortModelName('amazon.nova-lite-v1:0')).toBe('nova-lite');
  });
});
