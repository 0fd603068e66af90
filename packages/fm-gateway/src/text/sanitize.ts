import { stripInvisibleCharacters } from './invisible-characters.js';

/**
 * Cleans user text before it goes into a model prompt: removes invisible and bidi-control
 * characters (see `stripInvisibleCharacters`), normalises to NFC and trims.
 *
 * NFC (not NFKC) keeps what the customer typed — full-width letters, half-width katakana,
 * `①` — while composing decomposed kana (`か` + U+3099 becomes `が`), so the model and the
 * logs see one spelling of each character. Never throws; lone surrogates pass through
 * (`validateUserText` rejects them).
 */
export function sanitizeForPrompt(text: string): string {
  return stripInvisibleCharacters(text).normalize('NFC').trim();
}
