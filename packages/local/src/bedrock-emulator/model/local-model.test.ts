import { describe, expect, it } from 'vitest';
import { localReply } from './local-model.js';
import type { ModelPrompt } from './model-prompt.js';

const identity = { modelId: 'jp.anthropic.claude-haiku-4-5-20251001-v1:0', region: 'ap-northeast-1' };

function prompt(text: string, system = ''): ModelPrompt {
  return { system, cachedSystemPrefix: undefined, messages: [{ role: 'user', text }], maxTokens: undefined };
}

describe('localReply', () => {
  it('says it is the local emulator, which model and region answered, and echoes the question', () => {
    const reply = localReply(prompt('Which isekai manga should I read?'), identity);

    expect(reply).toMatch(/^\[local claude-haiku-4-5 @ ap-northeast-1\] /);
    expect(reply).toContain('"Which isekai manga should I read?"');
    expect(reply).toContain('local Bedrock emulator');
  });

  it('answers the same prompt identically every time', () => {
    expect(localReply(prompt('same'), identity)).toBe(localReply(prompt('same'), identity));
  });

  it('answers Japanese in Japanese with a Japanese label', () => {
    expect(localReply(prompt('鬼滅の刃は何巻まで？'), identity)).toMatch(
      /^\[local claude-haiku-4-5 @ ap-northeast-1\] 【日本語・ローカル応答】「鬼滅の刃は何巻まで？」/,
    );
  });

  it('answers a sentiment prompt with one word', () => {
    const reply = localReply(
      prompt(
        'Analyze the sentiment of this manga product review. Reply with exactly one word: positive, negative, or neutral.\n\nReview: 最高！大好き',
      ),
      identity,
    );

    expect(reply).toBe('positive');
  });

  it('answers a moderation prompt with only the verdict JSON, instructions possibly in the system prompt', () => {
    const reply = localReply(
      prompt(
        'Review: このバカな作者',
        'You are a content moderator. Respond with a JSON object {"safe": ...}',
      ),
      identity,
    );

    expect(JSON.parse(reply)).toEqual({
      safe: false,
      severity: 'low',
      categories: ['harassment'],
      reason: 'Local emulator lexicon matched: バカ.',
    });
  });
});
