import { describe, expect, it } from 'vitest';
import { assessComplexity, createKeywordMatcher, foldForKeywordMatch } from './complexity.js';

const assess = (text: string, longPromptTokens = 5) =>
  assessComplexity(text, {
    matchKeyword: createKeywordMatcher(['summarize', '要約']),
    estimateTokens: (value) => value.length,
    longPromptTokens,
  });

describe('foldForKeywordMatch', () => {
  it('folds full-width letters, half-width katakana, case and whitespace runs', () => {
    expect(foldForKeywordMatch('ＥＸＰＬＡＩＮ\n\u3000Why ｵｽｽﾒ')).toBe('explain why オススメ');
  });
});

describe('assessComplexity', () => {
  it('reports the matching keyword as configured', () => {
    expect(assess('Please SUMMARIZE')).toEqual({ kind: 'complex', keyword: 'summarize' });
  });

  it('prefers a keyword over length', () => {
    expect(assess('この長い文章を要約してください')).toEqual({ kind: 'complex', keyword: '要約' });
  });

  it('calls a prompt long only above the threshold', () => {
    expect(assess('12345')).toEqual({ kind: 'simple', tokens: 5 });
    expect(assess('123456')).toEqual({ kind: 'long', tokens: 6 });
  });
});
