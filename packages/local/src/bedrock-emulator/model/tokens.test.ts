import { describe, expect, it } from 'vitest';
import { countTokens, splitIntoDeltas, truncateToTokens } from './tokens.js';

describe('countTokens', () => {
  it('counts one token per CJK character and one per four other characters', () => {
    expect(countTokens('漫画')).toBe(2);
    expect(countTokens('manga!!!')).toBe(2);
    expect(countTokens('')).toBe(0);
  });
});

describe('truncateToTokens', () => {
  it('keeps the longest prefix within the limit', () => {
    const cut = truncateToTokens('ワンピースの最新刊', 4);

    expect(cut).toBe('ワンピー');
    expect(countTokens(truncateToTokens('a fairly long English sentence', 3))).toBeLessThanOrEqual(3);
  });
});

describe('splitIntoDeltas', () => {
  it('splits Latin text by word and CJK text into runs of at most four characters, losing nothing', () => {
    const text = '[local haiku] 今日は良い天気ですね and more';

    const deltas = splitIntoDeltas(text);

    expect(deltas.join('')).toBe(text);
    expect(deltas).toContain('and ');
    expect(deltas).toContain('今日は良');
  });
});
