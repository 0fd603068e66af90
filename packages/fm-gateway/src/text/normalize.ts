import { stripInvisibleCharacters } from './invisible-characters.js';

const whitespaceRun = /\s+/gu;

/**
 * Folds text that means the same into one spelling, for cache keys only (never for what the
 * model or the customer sees).
 *
 * - NFKC: full-width ASCII becomes ASCII (`ＯＮＥ　ＰＩＥＣＥ` → `ONE PIECE`), half-width
 *   katakana becomes full-width (`ｶﾞ` → `ガ`), decomposed kana are composed (`か\u3099` → `が`).
 *   It also folds `①` to `1` and `x²` to `x2`; for a store's questions that is a fair trade.
 * - Invisible characters are removed (see `stripInvisibleCharacters`).
 * - Every run of whitespace, including U+3000 IDEOGRAPHIC SPACE and newlines, becomes one
 *   ASCII space; the ends are trimmed.
 *
 * Case is kept: `US` and `us`, `Bleach` the title and `bleach` the product differ, and a wrong
 * cache hit (someone else's answer) costs more than a miss (one model call).
 */
export function normalizeForCacheKey(text: string): string {
  return stripInvisibleCharacters(text).normalize('NFKC').replace(whitespaceRun, ' ').trim();
}
