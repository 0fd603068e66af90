/**
 * Tokens per piece of text. A heuristic for budgets and context-window guards before a call,
 * not for billing (the model's reported usage is the truth). It errs on the high side for
 * Japanese: BPE vocabularies merge frequent kana runs (です, ます, particles) into one token,
 * while kanji outside the vocabulary fall back to two or three byte tokens.
 *
 * | piece                                                        | tokens                  |
 * |--------------------------------------------------------------|-------------------------|
 * | kanji (Han) or Hangul syllable                               | 1.5 each                |
 * | hiragana, katakana (full- or half-width), ー, dakuten marks    | 1 each                  |
 * | CJK punctuation and full-width forms (U+3001–U+303F, U+FF00–U+FFEF) | 1 each           |
 * | emoji (Extended_Pictographic)                                | 2 each                  |
 * | word of letters in a spaced script (Latin, Cyrillic, …)      | letters ÷ 4, at least 1 |
 * | run of ASCII/other decimal digits                            | 1 per 3 digits          |
 * | any other symbol or punctuation                              | 1 each                  |
 * | whitespace (including U+3000)                                | 0                       |
 */
export const tokenRatios = {
  kanji: 1.5,
  kana: 1,
  fullWidth: 1,
  emoji: 2,
  lettersPerToken: 4,
  digitsPerToken: 3,
  other: 1,
} as const;

const pieces =
  /(?<space>\s+)|(?<kanji>[\p{Script=Han}\p{Script=Hangul}]\p{M}*)|(?<kana>[\p{Script=Hiragana}\p{Script=Katakana}\u3099-\u309C\u30FC\uFF70]\p{M}*)|(?<fullWidth>[\u3000-\u303F\uFF00-\uFFEF]\p{M}*)|(?<emoji>\p{Extended_Pictographic})|(?<word>\p{L}[\p{L}\p{M}]*)|(?<digits>\p{Nd}+)|(?<other>[\s\S])/gu;

/**
 * Estimated model tokens in `text`, CJK-aware (ratios in `tokenRatios`). An integer,
 * rounded up; 0 for an empty or blank string.
 *
 * @example estimateTokens('ワンピースの最新刊') // 11 (5 kana + 1 kana + 3 kanji × 1.5)
 */
export function estimateTokens(text: string): number {
  let total = 0;
  for (const match of text.matchAll(pieces)) {
    const groups = match.groups ?? {};
    if (groups.kanji !== undefined) total += tokenRatios.kanji;
    else if (groups.kana !== undefined) total += tokenRatios.kana;
    else if (groups.fullWidth !== undefined) total += tokenRatios.fullWidth;
    else if (groups.emoji !== undefined) total += tokenRatios.emoji;
    else if (groups.word !== undefined)
      total += Math.max(1, groups.word.length / tokenRatios.lettersPerToken);
    else if (groups.digits !== undefined)
      total += Math.ceil(groups.digits.length / tokenRatios.digitsPerToken);
    else if (groups.other !== undefined) total += tokenRatios.other;
  }
  return Math.ceil(total);
}
