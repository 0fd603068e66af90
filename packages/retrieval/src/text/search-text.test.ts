import { describe, expect, it } from 'vitest';
import { characterNgrams, searchText } from './search-text.js';

describe('searchText', () => {
  it('folds width, case and kana, and drops spaces and punctuation', () => {
    expect(searchText('ＯＮＥ　ＰＩＥＣＥ')).toBe('onepiece');
    expect(searchText('ワンピース')).toBe(searchText('わんぴーす'));
    expect(searchText('ｼﾞｬﾝﾌﾟ')).toBe('じゃんぷ');
    expect(searchText('SPY×FAMILY')).toBe('spyfamily');
    expect(searchText('呪術廻戦 第２７巻！')).toBe('呪術廻戦第27巻');
  });

  it('keeps the long vowel mark, which is part of a word', () => {
    expect(searchText('ワンピース')).toBe('わんぴーす');
  });
});

describe('characterNgrams', () => {
  it('slides over characters, astral ones whole', () => {
    expect(characterNgrams('わんぴーす', 2)).toEqual(['わん', 'んぴ', 'ぴー', 'ーす']);
    expect(characterNgrams('𠮷野家', 2)).toEqual(['𠮷野', '野家']);
  });

  it('gives a short text as its own gram and an empty one none', () => {
    expect(characterNgrams('鬼', 2)).toEqual(['鬼']);
    expect(characterNgrams('ab', 2)).toEqual(['ab']);
    expect(characterNgrams('', 2)).toEqual([]);
  });
});
