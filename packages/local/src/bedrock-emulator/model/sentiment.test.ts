import { describe, expect, it } from 'vitest';
import { asksForSentiment, classifySentiment } from './sentiment.js';

describe('classifySentiment', () => {
  it.each([
    ['This manga is amazing, I love it', 'positive'],
    ['最高に面白い！', 'positive'],
    ['Boring and the worst ending', 'negative'],
    ['つまらない。最悪', 'negative'],
    ['Great art but a boring story', 'mixed'],
    ['好きだけど結末は残念', 'mixed'],
    ['The volume arrived on Tuesday', 'neutral'],
  ])('labels "%s" as %s', (text, expected) => {
    expect(classifySentiment(text)).toBe(expected);
  });

  it('ignores the answer choices a prompt lists', () => {
    expect(classifySentiment('Reply with exactly one word: positive, negative, or neutral.')).toBe('neutral');
  });
});

describe('asksForSentiment', () => {
  it('recognises English and Japanese sentiment prompts', () => {
    expect(asksForSentiment('Analyze the sentiment of this manga product review.')).toBe(true);
    expect(asksForSentiment('このレビューの感情を分類してください')).toBe(true);
    expect(asksForSentiment('Recommend a manga')).toBe(false);
  });
});
