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

/**
 * Unicode tag characters (U+E0000–U+E007F): invisible ASCII look-alikes, which carry a hidden
 * instruction past a human reviewer straight to the model. Their one legitimate use is a
 * subdivision flag — 🏴 (U+1F3F4), a subdivision code in tag letters, CANCEL TAG (U+E007F) — and
 * only three are recommended for general interchange (RGI) and drawn by any platform: England,
 * Scotland and Wales. Those three are kept; every other tag character is removed, so no word can
 * ride along dressed as the code of a flag nobody draws.
 */
const tag = (code: string) =>
  [...code].map((letter) => String.fromCodePoint(0xe0000 + letter.charCodeAt(0))).join('');
const subdivisionFlag = new RegExp(
  `\u{1F3F4}(?:${['gbeng', 'gbsct', 'gbwls'].map(tag).join('|')})\u{E007F}`,
  'gu',
);
const tagCharacter = /[\u{E0000}-\u{E007F}]/gu;
const anyTagCharacter = /[\u{E0000}-\u{E007F}]/u;

/** Removes tag characters outside the three RGI subdivision flags. */
function stripTagCharacters(text: string): string {
  if (!anyTagCharacter.test(text)) return text;
  let kept = '';
  let from = 0;
  for (const flag of text.matchAll(subdivisionFlag)) {
    kept += text.slice(from, flag.index).replace(tagCharacter, '') + flag[0];
    from = flag.index + flag[0].length;
  }
  return kept + text.slice(from).replace(tagCharacter, '');
}

/** U+2028 LINE SEPARATOR and U+2029 PARAGRAPH SEPARATOR. */
const lineSeparators = /[\u2028\u2029]/g;

/**
 * Removes invisible formatting characters from `text`, and tag characters outside subdivision
 * flags.
 *
 * The seed deletes the whole U+2028–U+202F range; here the two separators among them become
 * `\n` and U+202F NARROW NO-BREAK SPACE becomes an ASCII space, because they are whitespace,
 * not controls, and deleting them would glue words or lines together. ZWJ (U+200D) is
 * removed too, which splits emoji ZWJ sequences (👨‍👩‍👧 becomes 👨👩👧): the meaning survives.
 */
export function stripInvisibleCharacters(text: string): string {
  return stripTagCharacters(text)
    .replace(invisible, '')
    .replace(lineSeparators, '\n')
    .replaceAll('\u202F', ' ');
}
