import { describe, expect, it } from 'vitest';
import { truncateUtf8, utf8ByteLength } from './utf8.js';

const samples = {
  ascii: 'One Piece 107',
  latin1: 'café',
  japanese: '進撃の巨人',
  halfWidthKatakana: 'ｼﾝｹﾞｷ',
  emoji: '📚😀',
  mixed: 'Vol.1 漫画📚 ﾏﾝｶﾞ é',
  rareKanji: '𠮷野家',
};

describe('utf8ByteLength', () => {
  it('agrees with Buffer.byteLength for ASCII, Latin-1, Japanese, emoji and mixed text', () => {
    for (const text of Object.values(samples)) {
      expect(utf8ByteLength(text)).toBe(Buffer.byteLength(text, 'utf8'));
    }
  });

  it('counts a Japanese character as 3 bytes and an emoji as 4', () => {
    expect(utf8ByteLength('漫画')).toBe(6);
    expect(utf8ByteLength('📚')).toBe(4);
  });

  it('counts a lone surrogate as the 3-byte replacement character an encoder would write', () => {
    for (const text of ['\uD83D', 'a\uDCDA', '\uDCDA\uD83D']) {
      expect(utf8ByteLength(text)).toBe(Buffer.byteLength(text, 'utf8'));
    }
  });

  it('returns 0 for the empty string', () => {
    expect(utf8ByteLength('')).toBe(0);
  });
});

describe('truncateUtf8', () => {
  it('keeps whole 3-byte characters only', () => {
    expect(truncateUtf8('まんが', 7)).toBe('まん');
    expect(truncateUtf8('まんが', 9)).toBe('まんが');
  });

  it('never splits a surrogate pair, whatever the byte limit', () => {
    const text = samples.mixed + samples.rareKanji;
    const total = utf8ByteLength(text);
    for (let maxBytes = 0; maxBytes <= total + 1; maxBytes++) {
      const truncated = truncateUtf8(text, maxBytes);
      expect(text.startsWith(truncated)).toBe(true);
      expect(utf8ByteLength(truncated)).toBeLessThanOrEqual(maxBytes);
      expect(truncated).not.toMatch(/\p{Surrogate}/u);
      const next = text.codePointAt(truncated.length);
      if (next !== undefined) {
        expect(utf8ByteLength(truncated + String.fromCodePoint(next))).toBeGreaterThan(maxBytes);
      }
    }
  });

  it('drops an emoji that does not fit entirely', () => {
    expect(truncateUtf8('a😀', 4)).toBe('a');
    expect(truncateUtf8('a😀', 5)).toBe('a😀');
  });

  it('returns the text itself when it already fits', () => {
    expect(truncateUtf8(samples.japanese, 1_000)).toBe(samples.japanese);
  });

  it('returns the empty string for a limit of 0', () => {
    expect(truncateUtf8(samples.japanese, 0)).toBe('');
  });

  it('rejects a negative or NaN limit with a RangeError', () => {
    expect(() => truncateUtf8('abc', -1)).toThrow(RangeError);
    expect(() => truncateUtf8('abc', Number.NaN)).toThrow(RangeError);
  });
});
