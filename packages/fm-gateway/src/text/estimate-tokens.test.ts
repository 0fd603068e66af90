import { describe, expect, it } from 'vitest';
import { estimateTokens } from './estimate-tokens.js';

describe('estimateTokens', () => {
  it('returns 0 for empty and blank text', () => {
    expect(estimateTokens('')).toBe(0);
    expect(estimateTokens(' \n\u3000')).toBe(0);
  });

  it('counts a kanji as 1.5 tokens and a kana as 1, rounding the total up', () => {
    expect(estimateTokens('漫画')).toBe(3);
    expect(estimateTokens('まんが')).toBe(3);
    expect(estimateTokens('最新刊')).toBe(5);
  });

  it('counts half-width katakana and the long-vowel mark as kana', () => {
    expect(estimateTokens('ﾜﾝﾋﾟｰｽ')).toBe(estimateTokens('ﾜﾝﾋｰｽ') + 1);
    expect(estimateTokens('ワンピース')).toBe(5);
  });

  it('counts a short English word as one token and a long one by its letters', () => {
    expect(estimateTokens('the manga')).toBe(3);
    expect(estimateTokens('recommendations')).toBe(4);
  });

  it('counts digits in groups of three and punctuation one each', () => {
    expect(estimateTokens('1234567')).toBe(3);
    expect(estimateTokens('?!')).toBe(2);
  });

  it('counts CJK punctuation and full-width forms one each', () => {
    expect(estimateTokens('「」。')).toBe(3);
    expect(estimateTokens('ＡＢ')).toBe(2);
  });

  it('counts an emoji as two tokens', () => {
    expect(estimateTokens('📚')).toBe(2);
  });

  it('estimates more tokens for Japanese than for an English sentence of the same meaning', () => {
    const japanese = estimateTokens('ワンピースの最新刊はいつ発売されますか？');
    const english = estimateTokens('When is the latest volume of One Piece released?');
    expect(japanese).toBeGreaterThan(english);
  });

  it('always returns an integer', () => {
    for (const text of ['a', '漫', 'a 漫', 'ｶﾞ', 'abcde', '📚 x']) {
      expect(Number.isInteger(estimateTokens(text))).toBe(true);
    }
  });
});
