import { describe, expect, it } from 'vitest';
import { normalizeForCacheKey } from './normalize.js';

describe('normalizeForCacheKey', () => {
  it('folds full-width ASCII to ASCII', () => {
    expect(normalizeForCacheKey('ＯＮＥ ＰＩＥＣＥ　１０７巻')).toBe('ONE PIECE 107巻');
  });

  it('folds half-width katakana to full-width', () => {
    expect(normalizeForCacheKey('ﾜﾝﾋﾟｰｽ')).toBe('ワンピース');
  });

  it('gives the decomposed (NFD) and composed (NFC) spellings of が the same form', () => {
    expect(normalizeForCacheKey('か\u3099')).toBe(normalizeForCacheKey('が'));
    expect(normalizeForCacheKey('ﾊﾟ')).toBe('パ');
  });

  it('collapses runs of ASCII, ideographic and line whitespace to one ASCII space', () => {
    expect(normalizeForCacheKey('  進撃の巨人\u3000\u3000最新刊\n\t は？ ')).toBe('進撃の巨人 最新刊 は?');
  });

  it('removes zero-width characters', () => {
    expect(normalizeForCacheKey('鬼\u200B滅\uFEFF')).toBe('鬼滅');
  });

  it('keeps letter case', () => {
    expect(normalizeForCacheKey('Bleach')).not.toBe(normalizeForCacheKey('bleach'));
  });
});
