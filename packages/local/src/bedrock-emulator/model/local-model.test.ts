import { parseDescriptionAndTags, productDescriptionPrompt, productTagCount } from '@mangaassist/consumers';
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

  it("answers the catalog consumer's description prompt in its format: sentences, then a Tags: line", () => {
    const reply = localReply(
      prompt(
        productDescriptionPrompt({
          title: 'ワンピース 108巻',
          data: { author: '尾田栄一郎', genre: 'shonen', volume: 108, synopsis: 'Luffy sails on.' },
        }),
      ),
      identity,
    );

    const parsed = parseDescriptionAndTags(reply);
    expect(parsed).toMatchObject({ ok: true });
    if (!parsed.ok) return;
    expect(parsed.description).toContain('ワンピース 108巻');
    expect(parsed.description).toContain('尾田栄一郎');
    expect(parsed.description).toMatch(/local Bedrock emulator/);
    expect(parsed.tags).toHaveLength(productTagCount);
    expect(parsed.tags).toEqual(expect.arrayContaining(['shonen', '尾田栄一郎']));
  });

  it('gives as many distinct tags as the prompt asks for, however little the item says', () => {
    const reply = localReply(
      prompt(
        'Generate a compelling product description for this manga item.\nTitle: X\n\n' +
          "Also provide 8 search tags as a comma-separated list on a new line starting with 'Tags: '.",
      ),
      identity,
    );

    const tags =
      reply
        .split('\n')
        .at(-1)
        ?.replace(/^Tags: /, '')
        .split(', ') ?? [];
    expect(new Set(tags.map((tag) => tag.toLowerCase())).size).toBe(8);
  });
});
