/**
 * Characters that render as nothing (or reorder what is around them) and so can hide text
 * from a human reviewer: zero-width space/joiners, bidi marks, embeddings, overrides and
 * isolates (the "Trojan Source" set), invisible operators and the byte-order mark.
 *
 * U+2066–U+2069 (bidi isolates) are not in the seed's list but belong to the same attack.
 * Variation selectors (U+FE00–U+FE0F, U+E0100–U+E01EF) are deliberately kept: emoji
 * presentation and kanji variants in Japanese names depend on them.
 */
const invisible = /[\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/g;

/** U+2028 LINE SEPARATOR and U+2029 PARAGRAPH SEPARATOR. */
const lineSeparators = /[\u2028\u2029]/g;

/**
 * Removes invisible formatting characters from `text`.
 *
 * The seed deletes the whole U+2028–U+202F range; here the two separators among them become
 * `\n` and U+202F NARROW NO-BREAK SPACE becomes an ASCII space, because they are whitespace,
 * not controls, and deleting them would glue words or lines together. ZWJ (U+200D) is
 * removed too, which splits emoji ZWJ sequences (👨‍👩‍👧 becomes 👨👩👧): the meaning survives.
 */
export function stripInvisibleCharacters(text: string): string {
  return text.replace(invisible, '').replace(lineSeparators, '\n').replaceAll('\u202F', ' ');
}
