import { describe, expect, it } from 'vitest';
import { TextRejectedError, validateUserText } from './validate.js';

/** `count` repetitions of a 3-byte Japanese character. */
function japanese(count: number): string {
  return 'あ'.repeat(count);
}

function rejection(text: string, ...limits: Parameters<typeof validateUserText>[1][]): TextRejectedError {
  try {
    validateUserText(text, ...limits);
  } catch (error) {
    if (error instanceof TextRejectedError) return error;
    throw error;
  }
  throw new Error('expected the text to be rejected');
}

describe('validateUserText', () => {
  it('accepts a Japanese question and returns it sanitised with its UTF-8 size', () => {
    expect(validateUserText(' ワンピースの\u200B最新刊は？\u3000')).toEqual({
      text: 'ワンピースの最新刊は？',
      bytes: 33,
    });
  });

  it('accepts exactly 16 384 bytes by default and rejects one more character', () => {
    const atLimit = `${japanese(5_461)}a`;
    expect(validateUserText(atLimit).bytes).toBe(16_384);
    const error = rejection(`${atLimit}a`);
    expect(error.reason).toBe('too_many_bytes');
    expect(error.details).toEqual({ limit: 16_384, actual: 16_385 });
  });

  it('counts an emoji as 4 bytes against a configured limit', () => {
    expect(validateUserText('📚📚', { maxBytes: 8 }).text).toBe('📚📚');
    expect(rejection('📚📚a', { maxBytes: 8 }).details).toEqual({ limit: 8, actual: 9 });
  });

  it('measures the size of the text as received, before sanitising', () => {
    expect(rejection(`あ${'\u200B'.repeat(3)}`, { maxBytes: 9 }).reason).toBe('too_many_bytes');
  });

  it('rejects a null character and says where it is', () => {
    const error = rejection('漫画\0です');
    expect(error.reason).toBe('null_byte');
    expect(error.details).toEqual({ index: 2 });
  });

  it('rejects a lone high or low surrogate as invalid UTF-16', () => {
    expect(rejection('漫画\uD83D').reason).toBe('invalid_utf16');
    expect(rejection('\uDCDA漫画').details).toEqual({ index: 0 });
  });

  it('accepts a properly paired surrogate (an emoji or a rare kanji)', () => {
    expect(validateUserText('𠮷野家 📚').text).toBe('𠮷野家 📚');
  });

  it('accepts control characters up to 5% of the characters and rejects more', () => {
    expect(validateUserText(`${japanese(19)}\u0007`).text).toBe(`${japanese(19)}\u0007`);
    const error = rejection(`${japanese(18)}\u0007`);
    expect(error.reason).toBe('control_characters');
    expect(error.details).toEqual({ limit: 0.05, actual: 1 / 19, count: 1 });
  });

  it('does not count newlines, carriage returns and tabs as control characters', () => {
    expect(validateUserText('一\n二\r\n三\t四').text).toBe('一\n二\r\n三\t四');
  });

  it('does not count zero-width characters, which the sanitiser removes first', () => {
    expect(validateUserText(`こん\u200B\u200B\u200Bにちは\uFEFF`).text).toBe('こんにちは');
  });

  it('accepts emoji ZWJ sequences and flag tag sequences', () => {
    expect(validateUserText('👨‍👩‍👧').text).toBe('👨👩👧');
    expect(validateUserText('🏴󠁧󠁢󠁥󠁮󠁧󠁿').text).toBe('🏴󠁧󠁢󠁥󠁮󠁧󠁿');
  });

  it('counts format characters other than the invisible ones, such as U+0600', () => {
    expect(rejection('ab\u0600').reason).toBe('control_characters');
  });

  it('rejects text that is empty after sanitising', () => {
    expect(rejection('').reason).toBe('empty');
    expect(rejection(' \u3000\u200B\n').reason).toBe('empty');
  });

  it('does not reject markup, template syntax or a kaomoji with Cyrillic', () => {
    for (const text of ['<script> タグの使い方', 'Vue の {{ title }}', 'まだかな (´Д｀)']) {
      expect(validateUserText(text).text).toBe(text);
    }
  });

  it('throws an Error named TextRejectedError with a message that does not echo the text', () => {
    const error = rejection('秘密\0');
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('TextRejectedError');
    expect(error.message).not.toContain('秘密');
  });
});
