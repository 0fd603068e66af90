import { describe, expect, it } from 'vitest';
import { sanitizeForPrompt } from './sanitize.js';

describe('sanitizeForPrompt', () => {
  it('removes zero-width characters hidden inside Japanese text', () => {
    expect(sanitizeForPrompt('ワン\u200Bピー\u200Cス\u2060')).toBe('ワンピース');
  });

  it('removes bidi embeddings, overrides and isolates', () => {
    expect(sanitizeForPrompt('a\u202Eb\u202Cc\u2066d\u2069\u200Fe')).toBe('abcde');
  });

  it('removes a byte-order mark', () => {
    expect(sanitizeForPrompt('\uFEFF鬼滅の刃')).toBe('鬼滅の刃');
  });

  it('turns line and paragraph separators into newlines instead of gluing the lines together', () => {
    expect(sanitizeForPrompt('一行目\u2028二行目\u2029三行目')).toBe('一行目\n二行目\n三行目');
  });

  it('composes a kana and a combining dakuten into one character (NFC)', () => {
    expect(sanitizeForPrompt('か\u3099')).toBe('が');
  });

  it('keeps full-width letters and half-width katakana as typed', () => {
    expect(sanitizeForPrompt('ＯＮＥ　ＰＩＥＣＥ ｶﾞ')).toBe('ＯＮＥ　ＰＩＥＣＥ ｶﾞ');
  });

  it('keeps variation selectors used by emoji and kanji variants', () => {
    expect(sanitizeForPrompt('葛\u{E0100}城 ❤\uFE0F')).toBe('葛\u{E0100}城 ❤\uFE0F');
  });

  it('trims ASCII and ideographic spaces at both ends', () => {
    expect(sanitizeForPrompt('\u3000 呪術廻戦 \n')).toBe('呪術廻戦');
  });
});
