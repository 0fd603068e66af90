/**
 * Text as search compares it. Japanese has no spaces between words, so matching works on
 * character n-grams of a normalised form rather than on words:
 *
 * - NFKC folds full-width letters and digits, half-width katakana and compatibility forms
 *   (`ＯＮＥ　ＰＩＥＣＥ` → `ONE PIECE`, `ｼﾞｬﾝﾌﾟ` → `ジャンプ`);
 * - lower case, and katakana as hiragana (`ワンピース` and `わんぴーす` are one query);
 * - no spaces, punctuation or symbols: `SPY×FAMILY`, `Spy x Family` and `spy family` differ only
 *   by the `x`.
 */
export function searchText(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\u30a1-\u30f6]/g, (katakana) => String.fromCharCode(katakana.charCodeAt(0) - 0x60))
    .replace(/[^\p{L}\p{N}ー]/gu, '');
}

/**
 * The character n-grams of `text` (already `searchText`), in order, repeats kept: a text shorter
 * than `n` is its own only gram, and an empty text has none.
 */
export function characterNgrams(text: string, n: number): string[] {
  const characters = Array.from(text);
  if (characters.length === 0) return [];
  if (characters.length <= n) return [characters.join('')];
  const grams: string[] = [];
  for (let start = 0; start + n <= characters.length; start++) {
    grams.push(characters.slice(start, start + n).join(''));
  }
  return grams;
}
