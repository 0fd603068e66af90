import { describe, expect, it } from 'vitest';
import { foldWidth, kanjiNumber } from './numbers.js';

describe('kanjiNumber', () => {
  it.each([
    ['三', 3],
    ['十', 10],
    ['十二', 12],
    ['二十', 20],
    ['九十九', 99],
    ['百', 100],
    ['百十一', 111],
    ['三百五', 305],
    ['二千二十四', 2024],
    ['三〇', 30],
  ])('reads %s as %i', (text, value) => {
    expect(kanjiNumber(text)).toBe(value);
  });

  it.each([['十十'], ['百千'], ['一二十'], ['abc'], ['']])('refuses %j', (text) => {
    expect(kanjiNumber(text)).toBeUndefined();
  });
});

describe('foldWidth', () => {
  it('folds full-width digits, letters, commas and yen, keeping every index', () => {
    const text = 'ＩＳＢＮ９７８，５２８円￥１，２３４';
    expect(foldWidth(text)).toBe('ISBN978,528円¥1,234');
    expect(foldWidth(text)).toHaveLength(text.length);
  });
});
