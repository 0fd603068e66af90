// Han, kana and full-width punctuation: roughly one token each in Claude's tokenizer.
const cjkClass = '\\p{Script=Han}\\p{Script=Hiragana}\\p{Script=Katakana}\\u3000-\\u303f\\uff00-\\uffef';
const cjkChar = new RegExp(`[${cjkClass}]`, 'u');
// Up to 4 CJK characters, or one non-CJK word with its trailing spaces, or a run of spaces.
const deltaPiece = new RegExp(`[${cjkClass}]{1,4}|[^${cjkClass}\\s]+\\s*|\\s+`, 'gu');

const latinCharsPerToken = 4;

/** True when the text contains Japanese (or other CJK) characters. */
export function containsCjk(text: string): boolean {
  return cjkChar.test(text);
}

/**
 * The emulated model's token count: one per CJK character plus one per four other characters.
 * Deterministic and plausible, not a real tokenizer.
 */
export function countTokens(text: string): number {
  let cjk = 0;
  let other = 0;
  for (const char of text) {
    if (cjkChar.test(char)) cjk += 1;
    else other += 1;
  }
  return cjk + Math.ceil(other / latinCharsPerToken);
}

/** The longest prefix of `text` whose `countTokens` is at most `maxTokens`. */
export function truncateToTokens(text: string, maxTokens: number): string {
  let cjk = 0;
  let other = 0;
  let end = 0;
  for (const char of text) {
    if (cjkChar.test(char)) cjk += 1;
    else other += 1;
    if (cjk + Math.ceil(other / latinCharsPerToken) > maxTokens) break;
    end += char.length;
  }
  return text.slice(0, end);
}

/** Splits a reply into stream deltas: a word at a time for Latin text, four characters for CJK. */
export function splitIntoDeltas(text: string): string[] {
  return text.match(deltaPiece) ?? [];
}
